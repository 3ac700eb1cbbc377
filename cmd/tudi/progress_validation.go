package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"tudi/importers"
)

// validation draws the validation phase on the bar's line: features
// checked, invalid and repaired so far, and the feature taking longest
// now, with its size, method and time.
func (p *progressBar) validation(v importers.ValidationProgress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	const width = 20
	frac := 1.0
	if v.Total > 0 {
		frac = min(float64(v.Done)/float64(v.Total), 1)
	}
	n := int(frac * width)
	line := fmt.Sprintf("validating [%s%s] %3.0f%%  %s / %s features, %s invalid, %s repaired", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, group(v.Done), group(v.Total), group(v.Invalid), group(v.Repaired))
	if v.Kept > 0 {
		line += fmt.Sprintf(", %s kept invalid", group(v.Kept))
	}
	if len(v.Running) > 0 {
		line += "  · " + describeTiming(v.Running[0])
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// describeTiming words one feature at work: "record 71 (1 418 048 points) linework 12 s".
func describeTiming(t importers.FeatureTiming) string {
	rec := "record " + group(t.Record)
	if t.Last != 0 && t.Last != t.Record {
		rec = fmt.Sprintf("records %s–%s", group(t.Record), group(t.Last))
	}
	return fmt.Sprintf("%s (%s points) %s %.0f s", rec, group(t.Points), t.Step, t.Seconds)
}

// jsonProgress writes progress as JSON lines (--json), at most one a
// second per phase, and always the last of validation.
type jsonProgress struct {
	mu   sync.Mutex
	enc  *json.Encoder
	last time.Time
}

func newJSONProgress(w io.Writer) *jsonProgress {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonProgress{enc: enc}
}

func (j *jsonProgress) due(final bool) bool {
	now := time.Now()
	if !final && now.Sub(j.last) < time.Second {
		return false
	}
	j.last = now
	return true
}

func (j *jsonProgress) read(read, total int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.due(total > 0 && read >= total) {
		_ = j.enc.Encode(map[string]any{"phase": "read", "read": read, "total": total})
	}
}

func (j *jsonProgress) validation(v importers.ValidationProgress) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.due(v.Done >= v.Total) {
		_ = j.enc.Encode(struct {
			Phase string `json:"phase"`
			importers.ValidationProgress
		}{"validate", v})
	}
}
