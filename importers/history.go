package importers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tudi/land"
	"tudi/postgis"
)

// History mode keeps every past state of a layer (see docs/history.md). The
// current table stays what it always is; history."<layer>" holds each
// feature's states with the interval of effective dates in which each was
// current. The first history import of a layer loads like a replace (a
// fresh table swapped in) and the store copies every row into a new history
// table. Later ones (incremental) load the file into a plain working table,
// and the store compares it with the current table by code and applies only
// the differences in the final transaction (postgis.CompareHistory,
// postgis.DB.CommitImport). What is decided here: the mode, the effective
// date, and whether the file's codes let history follow its features.

// resolveMode decides an import's mode. Without one asked: history for a
// kind with a code field when the layer is new or already keeps history,
// else replace. A replace into a layer that keeps history is refused (it
// would end the history); append into one is an upsert by code.
func resolveMode(asked string, kind *land.KindSpec, exists, hasHistory bool, layer string) (string, error) {
	switch asked {
	case "":
		if postgis.HasCode(kind) && (!exists || hasHistory) {
			return "history", nil
		}
		return "replace", nil
	case "history":
		if !postgis.HasCode(kind) {
			return "", land.Errorf(land.Invalid, "mode history: layer %q is of kind %s, which has no code field to follow features by (use --mode replace or append)", layer, kind.Kind)
		}
	case "replace":
		if hasHistory {
			return "", land.Errorf(land.Conflict, "layer %q keeps history: a replace would end it; import the whole layer with --mode history (the default), which records only what changed", layer)
		}
	}
	return asked, nil
}

// effectiveDate returns the date an import takes effect: asOf, or today
// (local time). History is extended forward only: a date before the
// layer's latest effective date is refused (the same date replaces that
// day's state).
func effectiveDate(asOf time.Time, h *postgis.LayerHistory, layer string) (time.Time, error) {
	d := asOf
	if d.IsZero() {
		now := time.Now()
		d = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	if h != nil && d.Before(h.Last) {
		return d, land.Errorf(land.Invalid, "--as-of %s is before the latest effective date of layer %q, %s: history can only be extended forward (re-import with an as-of date of %s or later)",
			d.Format(postgis.DateLayout), layer, h.Last.Format(postgis.DateLayout), h.Last.Format(postgis.DateLayout))
	}
	return d, nil
}

// codeProblem is an Invalid error about the codes of a file: history
// cannot follow its features.
type codeProblem struct{ what string }

// checkCodes refuses a file that history cannot follow: features without a
// code, or two features with the same code (naming a few). The problem is
// returned apart from the error, so that the default mode of a new layer
// can fall back to replace, saying why.
func checkCodes(ctx context.Context, q postgis.Querier, fresh, file string, direct bool) (*codeProblem, error) {
	// One pass: the groups of codes that are missing or repeated, missing
	// ones first.
	rows, err := q.Query(ctx, `SELECT code, count(*), min(id), code IS NULL OR code = '' AS missing FROM `+fresh+`
		GROUP BY code HAVING count(*) > 1 OR code IS NULL OR code = ''
		ORDER BY missing DESC, count(*) DESC, code LIMIT 7`)
	if err != nil {
		return nil, fmt.Errorf("check codes: %w", postgis.Err(err))
	}
	var (
		dups    []string
		missing int64
		first   *int64
	)
	for rows.Next() {
		var (
			code   *string
			n, id  int64
			nocode bool
		)
		if err := rows.Scan(&code, &n, &id, &nocode); err != nil {
			rows.Close()
			return nil, fmt.Errorf("check codes: %w", err)
		}
		switch {
		case nocode:
			missing += n
			if first == nil || id < *first {
				first = &id
			}
		case len(dups) < 5:
			dups = append(dups, fmt.Sprintf("%q (%d times)", *code, n))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check codes: %w", postgis.Err(err))
	}
	if missing > 0 {
		where := ""
		if direct && first != nil {
			where = fmt.Sprintf(" (the first is record %d)", *first)
		}
		return &codeProblem{fmt.Sprintf("%s: %d feature(s) have no code%s", file, missing, where)}, nil
	}
	if len(dups) > 0 {
		return &codeProblem{fmt.Sprintf("%s: duplicate code %s", file, strings.Join(dups, ", "))}, nil
	}
	return nil, nil
}

// err is the problem as the error of a history import.
func (p *codeProblem) err() error {
	return land.Errorf(land.Invalid, "%s: history follows features by code, which every feature must have, once (map the code field with --map code=FIELD, or import with --mode replace)", p.what)
}
