package reports

import (
	"fmt"
	"strings"

	"tudi/postgis"
)

// layerViews map the names a report's SQL reads — the layer kinds
// (parcels, boundaries, …), its layer parameters (overlay) and
// boundary_cells — onto what they stand for in a run: common table
// expressions put before the report's own. A report then sends nothing but
// reads, so it runs on a read-only hot standby as on the primary (a standby
// refuses temporary views and tables), while its SQL file still reads plain
// names and runs in psql (docs/reports.md).
type layerViews struct {
	ctes []string
}

// add maps name onto query. A layer is inlined wherever the report reads
// it (NOT MATERIALIZED: planned as a view would be, with the layer's
// indexes); boundary_cells is computed once (MATERIALIZED).
func (v *layerViews) add(name, query string, materialized bool) {
	m := "NOT MATERIALIZED"
	if materialized {
		m = "MATERIALIZED"
	}
	v.ctes = append(v.ctes, postgis.Ident(name)+" AS "+m+" (\n"+query+"\n)")
}

// with returns sql reading the mapped names: the mappings joined to the
// WITH clause sql starts with (after its comments), or one put before it.
func (v *layerViews) with(sql string) string {
	if len(v.ctes) == 0 {
		return sql
	}
	list := strings.Join(v.ctes, ",\n")
	i := statementStart(sql)
	rest := sql[i:]
	for _, kw := range []string{"WITH RECURSIVE", "WITH"} {
		if len(rest) > len(kw) && strings.EqualFold(rest[:len(kw)], kw) && isSpace(rest[len(kw)]) {
			return sql[:i] + rest[:len(kw)] + " " + list + ",\n" + rest[len(kw)+1:]
		}
	}
	return sql[:i] + "WITH " + list + "\n" + rest
}

// statementStart returns the offset of sql's first token after white
// space and comments (-- to the end of the line, /* … */).
func statementStart(sql string) int {
	i := 0
	for i < len(sql) {
		switch {
		case isSpace(sql[i]):
			i++
		case strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return len(sql)
			}
			i += j + 1
		case strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return len(sql)
			}
			i += j + 4
		default:
			return i
		}
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// The statement of sql/boundary-cells.sql that tudi reads as the query of
// boundary_cells; the file itself is a script for psql.
const (
	cellsPrefix = "CREATE TEMP TABLE boundary_cells AS"
	cellsSuffix = ";\nANALYZE boundary_cells;"
)

// cellsQuery returns that query.
func cellsQuery() (string, error) {
	b, err := sqlFiles.ReadFile("sql/boundary-cells.sql")
	if err != nil {
		return "", err
	}
	s := string(b)
	s = strings.TrimSpace(s[statementStart(s):])
	if !strings.HasPrefix(s, cellsPrefix) || !strings.HasSuffix(s, cellsSuffix) {
		return "", fmt.Errorf("sql/boundary-cells.sql: want one %q … statement followed by %q", cellsPrefix, strings.TrimSpace(cellsSuffix))
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, cellsPrefix), cellsSuffix)), nil
}
