package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressBar draws "[####......]  45%  123 456 / 274 000 features  85 200
// features/s" on a terminal, at most five times a second; on anything else
// (a pipe, a log file, CI) it draws nothing. Without a total it shows the
// count and the rate only.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	unit  string // what is counted: features, tiles
	after string // shown once everything is counted, for the work that follows
	start time.Time
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, unit, after string) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, on: ok && term.IsTerminal(int(f.Fd())), unit: unit, after: after, start: time.Now()}
}

// updateInt is update for int counters.
func (p *progressBar) updateInt(done, total int) { p.update(int64(done), int64(total)) }

func (p *progressBar) update(done, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && done != total {
		return
	}
	p.last = now
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 0.001)
	if total <= 0 {
		fmt.Fprintf(p.w, "\r%s %s  %s %s/s ", group(done), p.unit, group(int64(rate)), p.unit)
		p.drawn = true
		return
	}
	const width = 30
	frac := min(float64(done)/float64(total), 1)
	n := int(frac * width)
	after := ""
	if done >= total {
		after = p.after
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %s / %s %s  %s %s/s %s", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, group(done), group(total), p.unit, group(int64(rate)), p.unit, after)
	p.drawn = true
}

// finish clears the bar's line.
func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
