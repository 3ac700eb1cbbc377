package ogc

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"tudi/land"
)

// The HTML views are plain server-rendered pages with no external assets:
// bureau networks are often closed.

type cell struct {
	Text string
	Href string
	Pre  bool // preformatted (JSON)
}

type table struct {
	Head []string
	Sub  []string // a second header line (the fields' Chinese titles), optional
	Rows [][]cell
}

type page struct {
	Title string
	Intro string
	Links []link
	Table *table
	Note  string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr.sub th{font-weight:normal;color:#555;font-size:12px}
pre{margin:0;white-space:pre;font-size:12px}a{color:#0645ad}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Intro}}<p>{{.Intro}}</p>{{end}}
{{if .Table}}<table>{{if .Table.Head}}<tr>{{range .Table.Head}}<th>{{.}}</th>{{end}}</tr>{{end}}
{{if .Table.Sub}}<tr class="sub">{{range .Table.Sub}}<th>{{.}}</th>{{end}}</tr>{{end}}
{{range .Table.Rows}}<tr>{{range .}}<td>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else if .Pre}}<pre>{{.Text}}</pre>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Note}}<p>{{.Note}}</p>{{end}}
<h2>Links</h2><ul>{{range .Links}}<li><a href="{{.Href}}">{{.Rel}}</a>{{if .Type}} ({{.Type}}){{end}}{{if .Title}} — {{.Title}}{{end}}</li>
{{end}}</ul>
</body></html>
`))

func renderHTML(w http.ResponseWriter, p page) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return pageTemplate.Execute(w, p)
}

// featureCells turns a row into table cells: id, each property, props.
func (iq *itemsQuery) featureCells(fr featureRow, href string) []cell {
	row := []cell{{Text: strconv.FormatInt(fr.id, 10), Href: href}}
	for _, v := range fr.props {
		row = append(row, cell{Text: jsonText(v)})
	}
	if iq.withProps {
		row = append(row, cell{Text: propsText(fr.src), Pre: true})
	}
	return row
}

// propsText shows the source attributes one per line, "NAME: value".
func propsText(s *string) string {
	if s == nil {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		return *s
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %v", k, m[k])
	}
	return b.String()
}

// jsonText shows a JSON value for people: strings without quotes.
func jsonText(s *string) string {
	if s == nil {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(*s), &v); err == nil {
		if str, ok := v.(string); ok {
			return str
		}
	}
	return *s
}

// subHead is the second header line: the fields' titles.
func (iq *itemsQuery) subHead() []string {
	h := []string{""}
	for _, p := range iq.out {
		h = append(h, p.Title)
	}
	if iq.withProps {
		h = append(h, "源数据属性")
	}
	return h
}

func (iq *itemsQuery) head() []string {
	h := []string{"id"}
	for _, p := range iq.out {
		h = append(h, p.Name)
	}
	if iq.withProps {
		h = append(h, "props")
	}
	return h
}

func (s *Service) itemsHTML(w http.ResponseWriter, r *http.Request, l *land.Layer, iq *itemsQuery, rows pgx.Rows, pi pageInfo) error {
	t := &table{Head: iq.head(), Sub: iq.subHead()}
	var firstRow, lastRow featureRow
	n, more := 0, false
	for rows.Next() {
		fr, err := iq.scan(rows)
		if err != nil {
			return fmt.Errorf("items of %q: %w", l.Name, err)
		}
		if n == iq.limit {
			more = true
			break
		}
		if n == 0 {
			firstRow = fr
		}
		lastRow = fr
		n++
		t.Rows = append(t.Rows, iq.featureCells(fr, s.base(r)+"/collections/"+pathEscape(l.Name)+"/items/"+strconv.FormatInt(fr.id, 10)+"?f=html"))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("items of %q: %w", l.Name, err)
	}
	more = more || pi.more
	links := s.pageLinks(r, l, iq, n, pi, more, firstRow, lastRow)
	links[0], links[1] = link{Href: links[1].Href, Rel: "self", Type: mediaHTML}, link{Href: links[0].Href, Rel: "alternate", Type: mediaGeoJSON}
	for i := range links {
		if links[i].Rel == "next" || links[i].Rel == "prev" {
			links[i].Href += "&f=html"
			links[i].Type = mediaHTML
		}
	}
	intro := fmt.Sprintf("%d of %d matching features.", n, pi.matched)
	if pi.matched < 0 {
		intro = fmt.Sprintf("%d features (the number of matching features is being counted).", n)
	}
	return renderHTML(w, page{Title: "Features of " + l.Name, Table: t, Links: links, Intro: intro})
}

func (s *Service) itemHTML(w http.ResponseWriter, l *land.Layer, iq *itemsQuery, fr featureRow, links []link) error {
	t := &table{Head: []string{"property", "value"}}
	t.Rows = append(t.Rows, []cell{{Text: "id"}, {Text: strconv.FormatInt(fr.id, 10)}})
	for i, p := range iq.out {
		t.Rows = append(t.Rows, []cell{{Text: p.Name + " " + p.Title}, {Text: jsonText(fr.props[i])}})
	}
	if iq.withProps {
		t.Rows = append(t.Rows, []cell{{Text: "props 源数据属性"}, {Text: propsText(fr.src), Pre: true}})
	}
	t.Rows = append(t.Rows, []cell{{Text: "geometry"}, {Text: jsonText(fr.geom), Pre: true}})
	return renderHTML(w, page{Title: fmt.Sprintf("%s / %d", l.Name, fr.id), Table: t, Links: links})
}
