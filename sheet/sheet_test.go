package sheet_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
	"tudi/sheet"
)

func TestParseCSVSeparatorsAndLines(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, text string }{
		{"commas", "编号,名称\n1,\"甲\n乙\"\n2,丙\n"},
		{"tabs", "编号\t名称\n1\t\"甲\n乙\"\n2\t丙\n"},
		{"semicolons", "编号;名称\n1;\"甲\n乙\"\n2;丙\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sh, err := sheet.ParseCSV([]byte(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if len(sh.Rows) != 3 || sh.Rows[1][1].Text != "甲\n乙" || sh.Rows[2][1].Value != "丙" {
				t.Fatalf("rows %q", sh.Texts())
			}
			// The third record starts on line 4: the quoted value spans two.
			if sh.Lines[2] != 4 {
				t.Fatalf("lines %v", sh.Lines)
			}
		})
	}
}

func TestReadXLSXTypesCellsAndMerges(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	s := f.GetSheetName(0)
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	custom := `yyyy"年"m"月"d"日"`
	cdate, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		axis string
		v    any
	}{{"A1", "台账"}, {"A2", "编号"}, {"B2", "日期"}, {"C2", "面积"}, {"D2", "已签"}, {"E2", "日"},
		{"A3", "0012"}, {"B3", 45047}, {"C3", 12.5}, {"D3", true}, {"E3", 45048}} {
		if err := f.SetCellValue(s, c.axis, c.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetCellStyle(s, "B3", "B3", date); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(s, "E3", "E3", cdate); err != nil {
		t.Fatal(err)
	}
	if err := f.MergeCell(s, "A1", "E1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sh, err := sheet.ReadXLSX("台账.xlsx", bytes.NewReader(buf.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	row := sh.Rows[2]
	if row[0].Value != "0012" {
		t.Errorf("text cell: %#v", row[0].Value)
	}
	if d, ok := row[1].Value.(time.Time); !ok || !d.Equal(time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)) || row[1].Text != "2023-05-01" {
		t.Errorf("date cell: %#v %q", row[1].Value, row[1].Text)
	}
	if row[2].Value != 12.5 || row[3].Value != true {
		t.Errorf("number and bool cells: %#v %#v", row[2].Value, row[3].Value)
	}
	if _, ok := row[4].Value.(time.Time); !ok {
		t.Errorf("custom date format: %#v", row[4].Value)
	}
	if len(sh.Merges) != 1 || sh.Merges[0] != (sheet.Range{R0: 0, C0: 0, R1: 0, C1: 4}) {
		t.Errorf("merges %v", sh.Merges)
	}
	if sh.Lines[2] != 3 || sh.Name != s {
		t.Errorf("lines %v, name %q", sh.Lines, sh.Name)
	}
	_, err = sheet.ReadXLSX("台账.xlsx", bytes.NewReader(buf.Bytes()), "汇总")
	if land.KindOf(err) != land.Invalid {
		t.Fatalf("a missing sheet: %v", err)
	}
}
