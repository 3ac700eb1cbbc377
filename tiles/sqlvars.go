package tiles

import (
	"strconv"
	"strings"

	"tudi/postgis"
)

// The tile SQL files are written for psql, so that they run by hand as
// their header comments show (psql -v layer=… -v z=… -f tiles/tile.sql),
// with psql variables where tudi fills in a layer:
//
//   - :"name" is an identifier: tudi puts the value quoted (pgx.Identifier),
//     as psql does;
//   - :'name' and :name of a value are bind parameters: tudi puts $1, $2, …
//     in the order it passes the arguments;
//   - :name of an SQL fragment (an attribute list, a class expression) is
//     text tudi builds from quoted identifiers of the catalogue, and that
//     a psql user passes as it is.
//
// As in psql, variables are not read inside -- comments and '…' literals,
// "::" is a cast, and a variable given no value is left as written. Lines
// starting with a backslash are psql meta-commands and are dropped.

// sqlPart is one piece of a parsed SQL file: text, or a variable reference.
type sqlPart struct {
	text  string
	name  string // variable name; "" for text
	quote byte   // '"' identifier, '\'' literal, 0 bare
}

// sqlTemplate is a tile SQL file parsed once, expanded per query.
type sqlTemplate struct {
	parts []sqlPart
	size  int // length of the text parts, to size the output
}

// parseSQL parses a psql SQL file (see above).
func parseSQL(src string) sqlTemplate {
	var lines []string
	for _, l := range strings.SplitAfter(src, "\n") {
		if !strings.HasPrefix(l, `\`) {
			lines = append(lines, l)
		}
	}
	src = strings.Join(lines, "")
	var (
		t     sqlTemplate
		start int
	)
	flush := func(end int) {
		if end > start {
			t.parts = append(t.parts, sqlPart{text: src[start:end]})
			t.size += end - start
		}
	}
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "--"):
			if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(src)
			}
		case src[i] == '\'':
			if j := strings.IndexByte(src[i+1:], '\''); j >= 0 {
				i += j + 2
			} else {
				i = len(src)
			}
		case strings.HasPrefix(src[i:], "::"):
			i += 2
		case src[i] == ':' && i+1 < len(src):
			q, j := byte(0), i+1
			if src[j] == '"' || src[j] == '\'' {
				q, j = src[j], j+1
			}
			k := j
			for k < len(src) && isVarChar(src[k]) {
				k++
			}
			if k == j || (q != 0 && (k >= len(src) || src[k] != q)) {
				i++
				continue
			}
			end := k
			if q != 0 {
				end++
			}
			flush(i)
			t.parts = append(t.parts, sqlPart{name: src[j:k], quote: q})
			i, start = end, end
		default:
			i++
		}
	}
	flush(len(src))
	return t
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// sqlVars are the values of the variables of one query.
type sqlVars struct {
	idents []string // name, value pairs: :"name" becomes the quoted value
	frags  []string // name, SQL text pairs: :name becomes the text
	params []string // names of the bind parameters: :name and :'name' become $1, $2, …
}

func lookup(pairs []string, name string) (string, bool) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == name {
			return pairs[i+1], true
		}
	}
	return "", false
}

// expand returns the SQL of t with the variables of v.
func (t sqlTemplate) expand(v sqlVars) string {
	var b strings.Builder
	b.Grow(t.size + 256)
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		if p.quote == '"' {
			if s, ok := lookup(v.idents, p.name); ok {
				b.WriteString(postgis.Ident(s))
				continue
			}
		} else {
			if p.quote == 0 {
				if s, ok := lookup(v.frags, p.name); ok {
					b.WriteString(s)
					continue
				}
			}
			if n := indexOf(v.params, p.name); n >= 0 {
				b.WriteString("$" + strconv.Itoa(n+1))
				continue
			}
		}
		// Not given: left as written, as psql does.
		b.WriteByte(':')
		if p.quote != 0 {
			b.WriteByte(p.quote)
		}
		b.WriteString(p.name)
		if p.quote != 0 {
			b.WriteByte(p.quote)
		}
	}
	return b.String()
}

func indexOf(s []string, name string) int {
	for i, x := range s {
		if x == name {
			return i
		}
	}
	return -1
}
