package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"tudi/land"
)

// The output formats.
const (
	FormatJSON  = "json"
	FormatCSV   = "csv"
	FormatXLSX  = "xlsx"
	FormatTable = "table"
)

// Formats returns the output formats.
func Formats() []string { return []string{FormatTable, FormatJSON, FormatCSV, FormatXLSX} }

// CheckFormat returns an Invalid error unless f is a known format.
func CheckFormat(f string) error {
	if slices.Contains(Formats(), f) {
		return nil
	}
	return land.Errorf(land.Invalid, "unknown format %q (allowed: %s)", f, strings.Join(Formats(), ", "))
}

// ContentType returns the media type of a format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatTable:
		return "text/plain; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// FileName returns a download name for a result, such as land-supply-2024.csv
// or, filtered by street, land-supply-2024-东街道.csv (characters that file
// systems refuse in a name become _).
func FileName(res *Result, format string) string {
	name := res.Report
	switch {
	case res.Params.Year != nil:
		name += "-" + strconv.Itoa(*res.Params.Year)
	case res.Params.From != nil && res.Params.To != nil:
		name += "-" + *res.Params.From + "-" + *res.Params.To
	}
	for _, st := range res.Params.Street {
		name += "-" + strings.Map(func(r rune) rune {
			if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, st)
	}
	ext := format
	if format == FormatTable {
		ext = "txt"
	}
	return name + "." + ext
}

// Write writes res to w in the given format.
func Write(w io.Writer, res *Result, format string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, res)
	case FormatCSV:
		return WriteCSV(w, res)
	case FormatXLSX:
		return WriteXLSX(w, res)
	case FormatTable:
		return WriteTable(w, res)
	}
	return CheckFormat(format)
}

// WriteJSON writes res as indented JSON, non-ASCII text as is.
func WriteJSON(w io.Writer, res *Result) error { return encodeJSON(w, res) }

// List is the list of reports, as GET /api/reports answers it.
type List struct {
	Reports []land.Report `json:"reports"`
	Formats []string      `json:"formats"`
	// Streets are the sub-districts of the boundaries layer, in the order
	// the reports sort them: the names the street parameter takes (besides
	// 未划分). Nil, and then left out, when not looked up.
	Streets []string `json:"streets,omitzero"`
}

// WriteList writes the list of reports as JSON, as GET /api/reports answers:
// {"reports": […], "formats": […], "streets": […]}.
func WriteList(w io.Writer, list *List) error { return encodeJSON(w, list) }

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// header returns the heading of a column: its Chinese title and its unit,
// as a Chinese work report writes it, e.g. 面积(公顷).
func header(c land.Column) string {
	if c.Unit == "" {
		return c.Title
	}
	return c.Title + "(" + c.Unit + ")"
}

// headerEN is header in English.
func headerEN(c land.Column) string {
	if c.Unit == "" {
		return c.TitleEN
	}
	return c.TitleEN + " (" + c.Unit + ")"
}

// formatValue formats a cell for text output: numbers with the column's
// decimals, no thousands separators (CSV readers parse them as numbers).
func formatValue(c land.Column, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if c.Type == land.ColumnInteger {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', c.Decimals, 64)
	case bool:
		if x {
			return "是"
		}
		return "否"
	}
	return fmt.Sprint(v)
}

// lines returns the header, the rows and the totals row of res as text
// cells; the totals row is labelled 合计 in its first key column.
func lines(res *Result) (head []string, body [][]string, total []string) {
	for _, c := range res.Columns {
		head = append(head, header(c))
	}
	for _, r := range res.Rows {
		line := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			line[i] = formatValue(c, r[c.Key])
		}
		body = append(body, line)
	}
	total = make([]string, len(res.Columns))
	labelled := false
	for i, c := range res.Columns {
		v, ok := res.Totals[c.Key]
		if !ok {
			if !labelled {
				total[i], labelled = "合计", true
			}
			continue
		}
		total[i] = formatValue(c, v)
	}
	return head, body, total
}

// WriteCSV writes res as CSV in UTF-8 with a byte-order mark, which is what
// makes Excel read Chinese text correctly: a row with the title and the
// parameters (period, as-of date, …) in its first cell, a header row
// (titles with units), the rows, and a 合计 (total) row.
func WriteCSV(w io.Writer, res *Result) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head, body, total := lines(res)
	// The title row has as many cells as the others, so that CSV readers
	// that want a fixed number of fields read the file.
	titleRow := make([]string, max(1, len(head)))
	titleRow[0] = res.Title + " " + res.TitleEN + "; " + describeParams(res)
	if err := cw.Write(titleRow); err != nil {
		return err
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	if err := cw.WriteAll(body); err != nil {
		return err
	}
	if err := cw.Write(total); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// textWidth is the number of terminal cells s takes: East Asian wide and
// full-width characters (Chinese) take two. x/text/width gives the East
// Asian width property; summing it is the small part written here.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// pad pads s with spaces to w cells, on the left when right is set.
func pad(s string, w int, right bool) string {
	fill := strings.Repeat(" ", max(0, w-textWidth(s)))
	if right {
		return fill + s
	}
	return s + fill
}

// WriteTable writes res as a plain-text table for a terminal: columns
// aligned by display width (Chinese characters take two cells), numbers on
// the right, the totals under a rule, then any notes.
func WriteTable(w io.Writer, res *Result) error {
	head, body, total := lines(res)
	widths := make([]int, len(head))
	for _, line := range append(append([][]string{head}, body...), total) {
		for i, s := range line {
			widths[i] = max(widths[i], textWidth(s))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", res.Title, res.TitleEN)
	fmt.Fprintf(&b, "%s\n\n", describeParams(res))
	rule := func() {
		for i, wd := range widths {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(strings.Repeat("-", wd))
		}
		b.WriteString("\n")
	}
	row := func(line []string) {
		var parts []string
		for i, s := range line {
			parts = append(parts, pad(s, widths[i], res.Columns[i].Type != land.ColumnText))
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		b.WriteString("\n")
	}
	row(head)
	rule()
	for _, line := range body {
		row(line)
	}
	rule()
	row(total)
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(res.Notes) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describeParams says what a result was computed from, in one line.
func describeParams(res *Result) string {
	parts := []string{"分组 group: " + strings.Join(res.Params.Group, ",")}
	if res.Params.Year != nil {
		parts = append(parts, fmt.Sprintf("年度 year: %d", *res.Params.Year))
	}
	if res.Params.From != nil && res.Params.To != nil {
		parts = append(parts, "期间 period: "+*res.Params.From+" … "+*res.Params.To)
	}
	if res.Params.AsOf != "" {
		parts = append(parts, "截至 as of: "+res.Params.AsOf)
	}
	if len(res.Params.Street) > 0 {
		parts = append(parts, "街道/镇 street: "+strings.Join(res.Params.Street, ","))
	}
	var ls []string
	known := []string{"parcels", "farmland", "renewal_units", "idle_land", "boundaries", "stations"}
	for _, c := range known {
		if n, ok := res.Params.Layers[c]; ok {
			ls = append(ls, c+"="+n)
		}
	}
	// Other kinds (renewal_projects, land_approvals, a --catalog kind's) after them, sorted.
	for _, c := range slices.Sorted(maps.Keys(res.Params.Layers)) {
		if !slices.Contains(known, c) {
			ls = append(ls, c+"="+res.Params.Layers[c])
		}
	}
	parts = append(parts, "图层 layers: "+strings.Join(ls, " "))
	for _, k := range slices.Sorted(maps.Keys(res.Params.Options)) {
		if v := res.Params.Options[k]; v != nil {
			parts = append(parts, fmt.Sprintf("%s: %v", k, v))
		}
	}
	return strings.Join(parts, "; ")
}

// numFmt returns the Excel number format of a column.
func numFmt(c land.Column) string {
	switch c.Type {
	case land.ColumnInteger:
		if c.Unit == "" { // a year or a code, not a count
			return "0"
		}
		return "#,##0"
	case land.ColumnNumber, land.ColumnPercent:
		if c.Decimals == 0 {
			return "#,##0"
		}
		return "#,##0." + strings.Repeat("0", c.Decimals)
	}
	return "@"
}

// sheetName returns a valid worksheet name (at most 31 characters, none of
// the characters Excel forbids).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// WriteXLSX writes res as an Excel workbook: a title row, a row saying the
// parameters, headers in Chinese (with units) and English, the rows with
// number formats, a 合计 (total) row, the header frozen and the columns
// wide enough for their text.
func WriteXLSX(w io.Writer, res *Result) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sheet := sheetName(res.Title)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	ncol := len(res.Columns)
	cell := func(col, row int) string {
		name, _ := excelize.CoordinatesToCellName(col, row)
		return name
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}},
	})
	if err != nil {
		return err
	}
	// One style per column for the body and one (bold) for the totals row.
	body := make([]int, ncol)
	bold := make([]int, ncol)
	for i, c := range res.Columns {
		fmtCode := numFmt(c)
		if body[i], err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode}); err != nil {
			return err
		}
		if bold[i], err = f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode, Font: &excelize.Font{Bold: true},
			Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}}); err != nil {
			return err
		}
	}
	set := func(col, row int, v any) error { return f.SetCellValue(sheet, cell(col, row), v) }
	if err := set(1, 1, res.Title+" "+res.TitleEN); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", title); err != nil {
		return err
	}
	if err := set(1, 2, describeParams(res)); err != nil {
		return err
	}
	widths := make([]int, ncol)
	for i, c := range res.Columns {
		if err := set(i+1, 3, header(c)); err != nil {
			return err
		}
		if err := set(i+1, 4, headerEN(c)); err != nil {
			return err
		}
		widths[i] = max(textWidth(header(c)), textWidth(headerEN(c))*9/10)
	}
	if err := f.SetCellStyle(sheet, cell(1, 3), cell(ncol, 4), head); err != nil {
		return err
	}
	row := 5
	put := func(r map[string]any) error {
		for i, c := range res.Columns {
			v, ok := r[c.Key]
			if !ok || v == nil {
				continue
			}
			if err := set(i+1, row, v); err != nil {
				return err
			}
			widths[i] = max(widths[i], textWidth(formatValue(c, v))+2)
		}
		return nil
	}
	for _, r := range res.Rows {
		if err := put(r); err != nil {
			return err
		}
		row++
	}
	last := row - 1
	if err := put(res.Totals); err != nil {
		return err
	}
	if _, ok := res.Totals[res.Columns[0].Key]; !ok {
		if err := set(1, row, "合计 Total"); err != nil {
			return err
		}
	}
	// Number formats per column, over the body and then the totals row.
	for i := range res.Columns {
		if last >= 5 {
			if err := f.SetCellStyle(sheet, cell(i+1, 5), cell(i+1, last), body[i]); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(sheet, cell(i+1, row), cell(i+1, row), bold[i]); err != nil {
			return err
		}
	}
	for i, wd := range widths {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, name, name, float64(min(max(wd+2, 8), 50))); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 4, TopLeftCell: "A5", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}
