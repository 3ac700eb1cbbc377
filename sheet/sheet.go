// Package sheet reads the tables bureaus keep as spreadsheets: a sheet of an
// Excel workbook (.xlsx) or a CSV file, into memory, cell by cell, with the
// merged ranges of the sheet. It knows the file formats only: what a header
// is, what a column means and which text encoding a CSV file is in are
// decided by its callers (the ledger importer, the targets reader).
//
// excelize reads the workbook; what is added here is the typing of cells
// that excelize leaves to the caller (a number formatted as a date is a
// date) and the sniffing of a CSV file's separator.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
)

// Cell is one cell: its text as shown (dates as 2006-01-02) and its value:
// nil when empty, else a string, int64, float64, bool or time.Time (a
// workbook's typed cells; every value of a CSV file is a string).
type Cell struct {
	Text  string
	Value any
}

// Range is a merged range of a sheet, 0-based and inclusive.
type Range struct{ R0, C0, R1, C1 int }

// Sheet is a whole sheet read into memory: ledgers and target lists are
// thousands of rows, not millions, and their readers need to see the top
// of the sheet (the header) before the rest.
type Sheet struct {
	Name   string // the sheet's name; "" for a CSV file
	Rows   [][]Cell
	Lines  []int // the row number the user sees, per row (Excel row; CSV line)
	Merges []Range
}

// ReadXLSX reads the sheet named sheetName ("": the first; matched without
// regard to case and surrounding space) of the workbook r. name is the
// file's name, for the errors, which are land.Invalid.
func ReadXLSX(name string, r io.Reader, sheetName string) (*Sheet, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: not a readable .xlsx workbook: %v", name, err)
	}
	defer f.Close()
	list := f.GetSheetList()
	if len(list) == 0 {
		return nil, land.Errorf(land.Invalid, "%s has no sheets", name)
	}
	sheet := list[0]
	if sheetName != "" {
		found := false
		for _, s := range list {
			if s == sheetName || strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(sheetName)) {
				sheet, found = s, true
				break
			}
		}
		if !found {
			return nil, land.Errorf(land.Invalid, "%s has no sheet %q (it has: %s)", name, sheetName, strings.Join(list, ", ")).WithDetail(map[string]any{"sheets": list})
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
	sh := &Sheet{Name: sheet}
	for r, row := range raw {
		cells := make([]Cell, len(row))
		for c, s := range row {
			cells[c] = Cell{Text: s}
			if strings.TrimSpace(s) == "" {
				continue
			}
			// Only what reads as a number needs the cell's type and style
			// (a lookup each): text that does not is text.
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				cells[c].Value = strings.TrimSpace(s)
				continue
			}
			axis, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, _ := f.GetCellType(sheet, axis)
			switch typ {
			case excelize.CellTypeBool:
				cells[c].Value = s == "1" || strings.EqualFold(s, "true")
				continue
			case excelize.CellTypeUnset, excelize.CellTypeNumber:
			default:
				cells[c].Value = strings.TrimSpace(s)
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
					cells[c].Value = t
					cells[c].Text = t.Format(time.DateOnly)
					continue
				}
			}
			if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
				cells[c].Value = int64(x)
			} else {
				cells[c].Value = x
			}
		}
		sh.Rows = append(sh.Rows, cells)
		sh.Lines = append(sh.Lines, r+1)
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
		sh.Merges = append(sh.Merges, Range{r0 - 1, c0 - 1, r1 - 1, c1 - 1})
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
		return DateFormatCode(*st.CustomNumFmt)
	}
	n := st.NumFmt
	return (n >= 14 && n <= 22) || (n >= 27 && n <= 36) || (n >= 45 && n <= 47) || (n >= 50 && n <= 58)
}

// DateFormatCode reports whether an Excel number format shows a date: it
// has y or d (or e, the era year) outside quotes and brackets.
func DateFormatCode(code string) bool {
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

// ParseCSV splits decoded CSV text (UTF-8, without a byte-order mark) into
// a sheet of text cells, trimmed. The separator is a comma, or a tab or a
// semicolon when the first line has one of those and no comma; quotes are
// read leniently, as spreadsheets write them. Errors are land.Invalid.
func ParseCSV(b []byte) (*Sheet, error) {
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
	sh := &Sheet{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, land.Errorf(land.Invalid, "not a readable CSV file: %v", err)
		}
		line, _ := cr.FieldPos(0)
		cells := make([]Cell, len(rec))
		for i, s := range rec {
			s = strings.TrimSpace(s)
			cells[i] = Cell{Text: s}
			if s != "" {
				cells[i].Value = s
			}
		}
		sh.Rows = append(sh.Rows, cells)
		sh.Lines = append(sh.Lines, line)
	}
	return sh, nil
}

// Texts returns the text of every cell, row by row.
func (s *Sheet) Texts() [][]string {
	out := make([][]string, len(s.Rows))
	for i, r := range s.Rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = c.Text
		}
	}
	return out
}
