package ogc

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"tudi/postgis"
)

// pageInfo is what a page knows besides its rows.
type pageInfo struct {
	first   bool  // the first page: no prev link
	listed  bool  // read from the query's cached list of matching ids
	start   int   // listed: position of the page's first row among the matches
	more    bool  // listed: rows follow the page
	matched int64 // numberMatched; -1: not known in time, omitted
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// readPage starts reading the page of iq in tx (a read-only snapshot) and
// returns the rows: a geometry and properties per feature, in page order,
// and (when not listed) one row past the page if there is a next page.
//
//   - No condition: numberMatched is the registry's count, and the page is a
//     key-set read on the sort keys and id.
//   - Conditions: the ids matching them, in page order, are read once per
//     layer version (at most maxListedIDs) and cached; numberMatched is their
//     number, and every page reads its limit rows by primary key at its
//     position in the list. A query matching more is paged by key set, and
//     its count runs once in the background (see countLater): pages go
//     without numberMatched until it is known.
//   - as_of: the history's state on a date; counted in the snapshot.
func (s *Service) readPage(ctx context.Context, tx pgx.Tx, layer, table string, iq *itemsQuery) (pageInfo, pgx.Rows, error) {
	pi := pageInfo{first: iq.cur == nil, matched: -1}
	var version, registered int64
	if err := tx.QueryRow(ctx, "SELECT version, feature_count FROM tudi.layers WHERE name = $1", layer).Scan(&version, &registered); err != nil {
		return pi, nil, fmt.Errorf("items of %q: registry: %w", layer, postgis.Err(err))
	}
	var ids []int64
	switch {
	case iq.unfiltered:
		pi.matched = registered
	case iq.asOf != nil:
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" t WHERE "+iq.whereSQL(), iq.args.v...).Scan(&pi.matched); err != nil {
			return pi, nil, fmt.Errorf("items of %q: count: %w", layer, postgis.Err(err))
		}
	default:
		s.matches.seen(layer, version)
		nq, err := iq.normalisedQuery()
		if err != nil {
			return pi, nil, err
		}
		key := matchKey{layer: layer, version: version, query: nq}
		e := s.matches.get(key)
		if e == nil {
			list, complete, err := iq.listMatches(ctx, tx, table)
			if err != nil {
				return pi, nil, fmt.Errorf("items of %q: %w", layer, err)
			}
			if complete {
				e = &matchEntry{key: key, count: int64(len(list)), ids: list, done: closedChan}
				s.matches.put(e)
			} else {
				e = s.countLater(key, table, iq)
			}
		}
		if e.ids != nil {
			ids, pi.matched = e.ids, int64(len(e.ids))
		} else {
			pi.matched = s.waitCount(ctx, e)
		}
	}

	if ids != nil {
		start, ok := 0, true
		if iq.cur != nil {
			start, ok = listPosition(ids, iq.cur, iq.limit, len(iq.sort) > 0)
		}
		if ok {
			end := min(start+iq.limit, len(ids))
			pi.listed, pi.start, pi.more, pi.first = true, start, end < len(ids), start == 0
			rows, err := tx.Query(ctx, "SELECT "+iq.selectList()+" FROM "+table+
				" t JOIN unnest($1::bigint[]) WITH ORDINALITY u(tudi_id, tudi_ord) ON t.id = u.tudi_id ORDER BY u.tudi_ord",
				ids[start:end])
			if err != nil {
				return pi, nil, fmt.Errorf("items of %q: %w", layer, postgis.Err(err))
			}
			return pi, rows, nil
		}
	}

	// Key set: after the cursor, or (going back) at the first of the limit
	// rows before it.
	var extra []string
	a := iq.args
	if iq.cur != nil && !iq.cur.Before {
		extra = append(extra, keysetCondition(iq.sort, iq.cur, false, false, &a))
	} else if iq.cur != nil {
		start, isFirst, err := iq.pageStartBefore(ctx, tx, table)
		if err != nil {
			return pi, nil, err
		}
		pi.first = isFirst
		if start != nil {
			extra = append(extra, keysetCondition(iq.sort, start, false, true, &a))
		}
	}
	q := "SELECT " + iq.selectList() + " FROM " + table + " t WHERE " + iq.whereSQL(extra...) +
		" ORDER BY " + orderBy(iq.sort, false) + " LIMIT " + strconv.Itoa(iq.limit+1)
	rows, err := tx.Query(ctx, q, a.v...)
	if err != nil {
		return pi, nil, fmt.Errorf("items of %q: %w", layer, postgis.Err(err))
	}
	return pi, rows, nil
}
