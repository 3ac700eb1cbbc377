package importers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tudi/land"
	"tudi/sheet"
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

// ledger is the source over a ledger sheet.
type ledger struct {
	file   string
	sheet  *sheet.Sheet
	keys   []string // header names of the columns read
	cols   []int    // their column index
	data   []int    // indexes of the data rows in sheet.Rows
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
	var sh *sheet.Sheet
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
	where := "sheet " + sh.Name
	if sh.Name == "" {
		where = "header"
	}
	g := &grid{rows: sh.Texts(), merges: sh.Merges}
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
	hdr := fmt.Sprintf("row %d", sh.Lines[h.top])
	if h.bottom > h.top {
		hdr = fmt.Sprintf("rows %d–%d", sh.Lines[h.top], sh.Lines[h.bottom])
	}
	what := "header"
	if sh.Name != "" {
		what = fmt.Sprintf("sheet %s: header", sh.Name)
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
		if c >= len(l.sheet.Rows[r]) {
			continue
		}
		var vt land.FieldType
		switch l.sheet.Rows[r][c].Value.(type) {
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
	if l.sheet.Name != "" {
		s = "sheet " + l.sheet.Name + " " + s
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
	row := l.sheet.Rows[r]
	for j, c := range l.cols {
		l.values[j] = nil
		if c < len(row) {
			l.values[j] = row[c].Value
		}
	}
	l.f = feature{Num: int64(l.sheet.Lines[r]), Keys: l.keys, Values: l.values}
	if l.geom != nil {
		l.f.Geom = l.geom.of(l, l.i-1, &l.f)
	}
	return &l.f, nil
}

// Close implements source.
func (l *ledger) Close() error { return nil }

// readXLSX reads one sheet of a workbook: cell values typed (numbers,
// booleans, dates from date-formatted numbers) and the merged ranges.
func readXLSX(path, sheetName string) (*sheet.Sheet, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %v", name, err)
	}
	defer f.Close()
	return sheet.ReadXLSX(name, f, sheetName)
}

// readCSV reads a CSV file: UTF-8 with or without a byte-order mark, or GBK
// / GB18030 (detected as for .dbf text, or given with --encoding);
// separated by commas, or tabs or semicolons when the first line has those
// and no commas.
func readCSV(path, encName string, info *sourceInfo) (*sheet.Sheet, error) {
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
	sh, err := sheet.ParseCSV(b)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", name, err)
	}
	return sh, nil
}
