package importers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
)

// LedgerOptions are the settings of an import from a ledger (台账): an .xlsx
// or .csv file, one row per record, often without geometry.
type LedgerOptions struct {
	Sheet string // the sheet to read (default: the first)
	// Lon and Lat name the coordinate columns (default: detected by their
	// header, 经度/纬度, lon/lat, x/y …); WKT a column of WKT geometries.
	Lon, Lat, WKT string
	// GeometryFrom is LAYER:FIELD=COLUMN: the geometry of the feature of
	// LAYER whose FIELD equals the row's COLUMN.
	GeometryFrom string
	// Lenient keeps values that cannot be read only in props, with a
	// warning, instead of failing the import.
	Lenient bool
}

// onlyForLedgers refuses ledger settings for another kind of file.
func (o LedgerOptions) onlyForLedgers(file string) error {
	for _, f := range []struct{ flag, v string }{{"--sheet", o.Sheet}, {"--lon", o.Lon}, {"--lat", o.Lat}, {"--wkt", o.WKT}, {"--geometry-from", o.GeometryFrom}} {
		if f.v != "" {
			return land.Errorf(land.Invalid, "%s: %s applies to ledgers (.xlsx, .csv) only", filepath.Base(file), f.flag)
		}
	}
	return nil
}

// isLedger reports whether a file is a ledger, by its extension.
func isLedger(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm", ".csv":
		return true
	}
	return false
}

// ledgerCell is one cell: its text as shown (for the header) and its value
// (nil, string, float64, int64, bool or time.Time).
type ledgerCell struct {
	text  string
	value any
}

// ledgerSheet is a whole sheet, read into memory: ledgers are thousands of
// rows, not millions, and the header and the geometry join need to see
// them all first.
type ledgerSheet struct {
	name   string // sheet name; "" for a .csv
	rows   [][]ledgerCell
	lines  []int // the row number the user sees, per row (Excel row; CSV line)
	merges []cellRange
}

// ledger is the source over a ledger sheet.
type ledger struct {
	file   string
	sheet  *ledgerSheet
	keys   []string // header names of the columns read
	cols   []int    // their column index
	data   []int    // indexes of the data rows in sheet.rows
	i      int
	geom   *ledgerGeom
	f      feature
	values []any
	// lenient: problems are warnings and say what was done.
	lenient bool
}

// openLedger reads an .xlsx or .csv ledger and finds its header.
func (im *Importer) openLedger(ctx context.Context, path string, req Request, info *sourceInfo) (l *ledger, err error) {
	name := filepath.Base(path)
	// A sheet shaped in a way not foreseen (or a library's panic on a
	// broken workbook) is the file's fault, named as such.
	defer func() {
		if p := recover(); p != nil {
			l, err = nil, land.Errorf(land.Invalid, "%s: cannot be read (%v)", name, p)
		}
	}()
	info.File = name
	var sh *ledgerSheet
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		info.Format = "csv"
		if req.Ledger.Sheet != "" {
			return nil, land.Errorf(land.Invalid, "%s: a .csv file has no sheets (--sheet %q)", name, req.Ledger.Sheet)
		}
		sh, err = readCSV(path, req.Encoding, info)
	} else {
		info.Format = "xlsx"
		info.Encoding, info.EncodingSource = "UTF-8", "xlsx"
		sh, err = readXLSX(path, req.Ledger.Sheet)
	}
	if err != nil {
		return nil, err
	}
	where := "sheet " + sh.name
	if sh.name == "" {
		where = "header"
	}
	g := &grid{merges: sh.merges}
	for _, r := range sh.rows {
		t := make([]string, len(r))
		for c := range r {
			t[c] = r[c].text
		}
		g.rows = append(g.rows, t)
	}
	h, err := findHeader(g)
	if err != nil {
		return nil, ledgerError(name, where, err)
	}
	l = &ledger{file: name, sheet: sh, lenient: req.Ledger.Lenient}
	for c, n := range h.names {
		if n == "" {
			continue
		}
		l.keys = append(l.keys, n)
		l.cols = append(l.cols, c)
	}
	footers := 0
	for r := h.bottom + 1; r < len(g.rows); r++ {
		empty := true
		for _, c := range l.cols {
			if g.cell(r, c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		if footerRow(g.rows[r]) {
			footers++
			continue
		}
		l.data = append(l.data, r)
	}
	l.values = make([]any, len(l.keys))
	info.Total = int64(len(l.data))
	for i, k := range l.keys {
		info.Fields = append(info.Fields, land.SourceField{Name: k, Type: l.columnType(l.cols[i])})
	}
	hdr := fmt.Sprintf("row %d", sh.lines[h.top])
	if h.bottom > h.top {
		hdr = fmt.Sprintf("rows %d–%d", sh.lines[h.top], sh.lines[h.bottom])
	}
	what := "header"
	if sh.name != "" {
		what = fmt.Sprintf("sheet %s: header", sh.name)
	}
	info.Notes = append(info.Notes, fmt.Sprintf("%s in %s, %d column(s), %d data row(s)", what, hdr, len(l.keys), len(l.data)))
	if footers > 0 {
		info.Notes = append(info.Notes, fmt.Sprintf("%d total or signature row(s) (合计, 小计, 填表人 …) skipped", footers))
	}
	if l.geom, err = im.ledgerGeometry(ctx, l, req, info); err != nil {
		return nil, err
	}
	info.strict = !req.Ledger.Lenient
	if req.Ledger.Lenient {
		info.Notes = append(info.Notes, "--lenient: values that cannot be read are kept only in props and counted as warnings")
	}
	return l, nil
}

// columnType is the type of a column's values, for the layer's source
// fields: the one type all its values share, else text.
func (l *ledger) columnType(c int) land.FieldType {
	t := land.FieldType("")
	for _, r := range l.data {
		if c >= len(l.sheet.rows[r]) {
			continue
		}
		var vt land.FieldType
		switch l.sheet.rows[r][c].value.(type) {
		case nil:
			continue
		case float64:
			vt = land.Float
		case int64:
			vt = land.Int
		case bool:
			vt = land.Bool
		case time.Time:
			vt = land.Date
		default:
			return land.Text
		}
		switch {
		case t == "":
			t = vt
		case t == land.Int && vt == land.Float, t == land.Float && vt == land.Int:
			t = land.Float
		case t != vt:
			return land.Text
		}
	}
	if t == "" {
		return land.Text
	}
	return t
}

// where names a cell the way the spreadsheet shows it.
func (l *ledger) where(line int, j int) string {
	s := fmt.Sprintf("row %d column %s %s", line, columnLetter(l.cols[j]), l.keys[j])
	if l.sheet.name != "" {
		s = "sheet " + l.sheet.name + " " + s
	}
	return s
}

// problem is a cell's problem as the mapper or the geometry reports it.
// What was done with the value (lenient) follows in brackets.
func (l *ledger) problem(line, j int, reason, done string) land.ImportProblem {
	if l.lenient {
		reason += " (" + done + ")"
	}
	return land.ImportProblem{File: l.file, Record: int64(line), Field: l.keys[j], Action: "warning",
		Reason: l.where(line, j) + ": " + reason}
}

// badMapped is the mapper's hook for values that do not fit their field.
func (l *ledger) badMapped(f *feature, j int, fd land.Field, err error) land.ImportProblem {
	return l.problem(int(f.Num), j, badValue(fd, f.Values[j], err), "kept in props, not stored in "+fd.Name)
}

// Next implements source.
func (l *ledger) Next() (*feature, error) {
	if l.i >= len(l.data) {
		return nil, io.EOF
	}
	r := l.data[l.i]
	l.i++
	row := l.sheet.rows[r]
	for j, c := range l.cols {
		l.values[j] = nil
		if c < len(row) {
			l.values[j] = row[c].value
		}
	}
	l.f = feature{Num: int64(l.sheet.lines[r]), Keys: l.keys, Values: l.values}
	if l.geom != nil {
		l.f.Geom = l.geom.of(l, l.i-1, &l.f)
	}
	return &l.f, nil
}

// Close implements source.
func (l *ledger) Close() error { return nil }

// readXLSX reads one sheet of a workbook: cell values typed (numbers,
// booleans, dates from date-formatted numbers) and the merged ranges.
func readXLSX(path, sheet string) (*ledgerSheet, error) {
	name := filepath.Base(path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: not a readable .xlsx workbook: %v", name, err)
	}
	defer f.Close()
	list := f.GetSheetList()
	if len(list) == 0 {
		return nil, land.Errorf(land.Invalid, "%s has no sheets", name)
	}
	if sheet == "" {
		sheet = list[0]
	} else {
		found := false
		for _, s := range list {
			if s == sheet || strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(sheet)) {
				sheet, found = s, true
				break
			}
		}
		if !found {
			return nil, land.Errorf(land.Invalid, "%s has no sheet %q (it has: %s)", name, sheet, strings.Join(list, ", ")).WithDetail(map[string]any{"sheets": list})
		}
	}
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: sheet %s: %v", name, sheet, err)
	}
	date1904 := false
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		date1904 = *p.Date1904
	}
	isDate := map[int]bool{} // by style id
	sh := &ledgerSheet{name: sheet}
	for r, row := range raw {
		cells := make([]ledgerCell, len(row))
		for c, s := range row {
			cells[c] = ledgerCell{text: s}
			if strings.TrimSpace(s) == "" {
				continue
			}
			// Only what reads as a number needs the cell's type and style
			// (a lookup each): text that does not is text.
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				cells[c].value = strings.TrimSpace(s)
				continue
			}
			axis, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, _ := f.GetCellType(sheet, axis)
			switch typ {
			case excelize.CellTypeBool:
				cells[c].value = s == "1" || strings.EqualFold(s, "true")
				continue
			case excelize.CellTypeUnset, excelize.CellTypeNumber:
			default:
				cells[c].value = strings.TrimSpace(s)
				continue
			}
			style, _ := f.GetCellStyle(sheet, axis)
			d, ok := isDate[style]
			if !ok {
				d = dateStyle(f, style)
				isDate[style] = d
			}
			if d {
				if t, err := excelize.ExcelDateToTime(x, date1904); err == nil {
					cells[c].value = t
					cells[c].text = t.Format("2006-01-02")
					continue
				}
			}
			if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
				cells[c].value = int64(x)
			} else {
				cells[c].value = x
			}
		}
		sh.rows = append(sh.rows, cells)
		sh.lines = append(sh.lines, r+1)
	}
	merges, err := f.GetMergeCells(sheet, true)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: sheet %s: merged cells: %v", name, sheet, err)
	}
	for _, m := range merges {
		c0, r0, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c1, r1, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil {
			continue
		}
		sh.merges = append(sh.merges, cellRange{r0 - 1, c0 - 1, r1 - 1, c1 - 1})
	}
	return sh, nil
}

// dateStyle reports whether a cell style formats numbers as dates: the
// built-in date formats (14–22, 27–36, 45–47, 50–58) or a custom format
// with a year or a day in it.
func dateStyle(f *excelize.File, id int) bool {
	st, err := f.GetStyle(id)
	if err != nil || st == nil {
		return false
	}
	if st.CustomNumFmt != nil {
		return dateFormatCode(*st.CustomNumFmt)
	}
	n := st.NumFmt
	return (n >= 14 && n <= 22) || (n >= 27 && n <= 36) || (n >= 45 && n <= 47) || (n >= 50 && n <= 58)
}

// dateFormatCode reports whether an Excel number format shows a date: it
// has y or d (or 年/月/日) outside quotes and brackets.
func dateFormatCode(code string) bool {
	inQuote, inBracket := false, false
	for _, r := range code {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '[':
			inBracket = true
		case r == ']':
			inBracket = false
		case inBracket:
		case r == 'y' || r == 'Y' || r == 'd' || r == 'D' || r == 'e':
			return true
		}
	}
	return false
}

// readCSV reads a CSV file: UTF-8 with or without a byte-order mark, or GBK
// / GB18030 (detected as for .dbf text, or given with --encoding);
// separated by commas, or tabs or semicolons when the first line has those
// and no commas.
func readCSV(path, encName string, info *sourceInfo) (*ledgerSheet, error) {
	name := filepath.Base(path)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %v", name, err)
	}
	bom := false
	if rest, ok := bytes.CutPrefix(b, []byte("\xef\xbb\xbf")); ok {
		b, bom = rest, true
	}
	var enc textEncoding
	switch {
	case encName != "":
		if enc, err = lookupEncoding(encName, "--encoding"); err != nil {
			return nil, err
		}
		info.EncodingSource = "flag"
	case bom:
		enc, info.EncodingSource = utf8Encoding, "byte-order mark"
	default:
		var found bool
		enc, found = detectEncoding([][]byte{b})
		info.EncodingSource = "detected"
		if !found {
			info.EncodingSource = "ASCII only"
		}
	}
	info.Encoding = enc.Name
	if enc.enc != nil {
		out, err := enc.enc.NewDecoder().Bytes(b)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "%s: not %s text: %v (--encoding)", name, enc.Name, err)
		}
		b = out
	}
	sh, err := parseCSV(b)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", name, err)
	}
	return sh, nil
}

// parseCSV splits decoded CSV text into a sheet of text cells.
func parseCSV(b []byte) (*ledgerSheet, error) {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(b))
	if !bytes.Contains(first, []byte(",")) {
		switch {
		case bytes.Contains(first, []byte("\t")):
			cr.Comma = '\t'
		case bytes.Contains(first, []byte(";")):
			cr.Comma = ';'
		}
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	sh := &ledgerSheet{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, land.Errorf(land.Invalid, "not a readable CSV file: %v", err)
		}
		line, _ := cr.FieldPos(0)
		cells := make([]ledgerCell, len(rec))
		for i, s := range rec {
			s = strings.TrimSpace(s)
			cells[i] = ledgerCell{text: s}
			if s != "" {
				cells[i].value = s
			}
		}
		sh.rows = append(sh.rows, cells)
		sh.lines = append(sh.lines, line)
	}
	return sh, nil
}
