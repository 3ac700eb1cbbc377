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
	st, err := postgis.FindLayerState(ctx, tx, layer)
	if err != nil {
		return pi, nil, fmt.Errorf("items of %q: registry: %w", layer, err)
	}
	version, registered := st.Version, st.Features
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
			list, complete, err := iq.listMatches(ctx, tx, table, s.matches.listed)
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

// peekedRows is rows whose first row has been read already: its first Next
// only reports it.
type peekedRows struct {
	pgx.Rows
	peeked bool
}

func (p *peekedRows) Next() bool {
	if p.peeked {
		p.peeked = false
		return true
	}
	return p.Rows.Next()
}

// fastPage reads a page of a query whose matches are known at the newest
// layer version this process has seen, in one statement without a
// transaction: the statement holds a guard that the layer is still at that
// version and of that kind (else it returns no row), so the page and
// numberMatched still agree. It reports false — and the caller takes the
// full path — when nothing is known, or when the statement returned no row
// (the layer changed, or the page is empty).
func (s *Service) fastPage(ctx context.Context, layer string, kind string, iq *itemsQuery) (pageInfo, pgx.Rows, bool) {
	pi := pageInfo{first: iq.cur == nil, matched: -1}
	if iq.unfiltered || iq.asOf != nil {
		return pi, nil, false
	}
	version := s.matches.newestVersion(layer)
	if version == 0 {
		return pi, nil, false
	}
	nq, err := iq.normalisedQuery()
	if err != nil {
		return pi, nil, false
	}
	e := s.matches.get(matchKey{layer: layer, version: version, query: nq})
	if e == nil {
		return pi, nil, false
	}
	table := postgis.Table(layer)
	var q string
	a := iq.args
	// The version is checked in the page's own statement: reading it
	// apart would cost this path its one round trip more.
	guard := func(a *args) string {
		return postgis.LayerVersionSQL(a.bind(layer), a.bind(kind)) + " = " + a.bind(version)
	}
	if e.ids != nil {
		start, ok := 0, true
		if iq.cur != nil {
			start, ok = listPosition(e.ids, iq.cur, iq.limit, len(iq.sort) > 0)
		}
		end := min(start+iq.limit, len(e.ids))
		if !ok || start >= end {
			return pi, nil, false
		}
		pi.listed, pi.start, pi.more, pi.first, pi.matched = true, start, end < len(e.ids), start == 0, int64(len(e.ids))
		a = args{}
		ids := a.bind(e.ids[start:end])
		q = "SELECT " + iq.selectList() + " FROM " + table + " t JOIN unnest(" + ids +
			"::bigint[]) WITH ORDINALITY u(tudi_id, tudi_ord) ON t.id = u.tudi_id WHERE " + guard(&a) + " ORDER BY u.tudi_ord"
	} else {
		if iq.cur != nil && iq.cur.Before {
			return pi, nil, false
		}
		// A large query: its count is known, or on its way (the page goes
		// without it if it takes too long); its rows by key set.
		pi.matched = s.waitCount(ctx, e)
		var extra []string
		if iq.cur != nil {
			extra = append(extra, keysetCondition(iq.sort, iq.cur, false, false, &a))
		}
		extra = append(extra, guard(&a))
		q = "SELECT " + iq.selectList() + " FROM " + table + " t WHERE " + iq.whereSQL(extra...) +
			" ORDER BY " + orderBy(iq.sort, false) + " LIMIT " + strconv.Itoa(iq.limit+1)
	}
	rows, err := s.db.Reader(layer).Query(ctx, q, a.v...)
	if err != nil {
		return pi, nil, false
	}
	if !rows.Next() {
		rows.Close()
		return pi, nil, false
	}
	return pi, &peekedRows{Rows: rows, peeked: true}, true
}

// firstPage reads the first page of a query whose matches are not known,
// in one statement without a transaction: the ids of every match (at most
// maxListedIDs + 1) in page order, the layer's version and the page's rows,
// all in the statement's snapshot. The ids and the version come on the
// first row, after the page's columns. It reports false — the caller takes
// the full path — when the query has no match, or the layer is not (or no
// longer) of kind.
func (s *Service) firstPage(ctx context.Context, layer, kind string, iq *itemsQuery) (pageInfo, pgx.Rows, bool) {
	pi := pageInfo{first: true, matched: -1}
	if iq.unfiltered || iq.asOf != nil || iq.cur != nil {
		return pi, nil, false
	}
	nq, err := iq.normalisedQuery()
	if err != nil {
		return pi, nil, false
	}
	a := iq.args
	// The version comes in the page's own statement (one round trip).
	q := "WITH m AS MATERIALIZED (SELECT t.id, row_number() OVER (ORDER BY " + orderBy(iq.sort, false) + ") AS o FROM " +
		postgis.Table(layer) + " t WHERE " + iq.whereSQL() + " ORDER BY " + orderBy(iq.sort, false) +
		" LIMIT " + strconv.Itoa(s.matches.listed+1) + ")\n" +
		"SELECT " + iq.selectList() + ", CASE WHEN m.o = 1 THEN (SELECT array_agg(id ORDER BY o) FROM m) END," +
		" CASE WHEN m.o = 1 THEN " + postgis.LayerVersionSQL(a.bind(layer), a.bind(kind)) + " END" +
		" FROM " + postgis.Table(layer) + " t JOIN m ON t.id = m.id WHERE m.o <= " + strconv.Itoa(iq.limit) + " ORDER BY m.o"
	rows, err := s.db.Reader(layer).Query(ctx, q, a.v...)
	if err != nil {
		return pi, nil, false
	}
	if !rows.Next() {
		rows.Close()
		return pi, nil, false
	}
	vals, err := rows.Values()
	if err != nil || len(vals) < 2 {
		rows.Close()
		return pi, nil, false
	}
	version, ok := vals[len(vals)-1].(int64)
	list, ok2 := vals[len(vals)-2].([]any)
	if !ok || !ok2 {
		rows.Close()
		return pi, nil, false
	}
	ids := make([]int64, len(list))
	for i, v := range list {
		if ids[i], ok = v.(int64); !ok {
			rows.Close()
			return pi, nil, false
		}
	}
	s.matches.seen(layer, version)
	key := matchKey{layer: layer, version: version, query: nq}
	if len(ids) <= s.matches.listed {
		s.matches.put(&matchEntry{key: key, count: int64(len(ids)), ids: ids, done: closedChan})
		pi.listed, pi.more, pi.matched = true, len(ids) > iq.limit, int64(len(ids))
	} else {
		e := s.matches.get(key)
		if e == nil {
			e = s.countLater(key, postgis.Table(layer), iq)
		}
		pi.more = len(ids) > iq.limit
		pi.matched = s.waitCount(ctx, e)
	}
	return pi, &peekedRows{Rows: rows, peeked: true}, true
}
