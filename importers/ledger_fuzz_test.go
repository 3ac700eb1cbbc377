package importers

import (
	"math"
	"strings"
	"testing"

	"tudi/land"
	"tudi/sheet"
)

// FuzzLedgerCSV feeds arbitrary text to the CSV reader, the header
// detection (with merged ranges, as a workbook has them, made from the
// bytes of merges: four per range) and the value parsing of ledgers: none
// may panic, the header block lies within the sheet, column names are
// unique, and numbers are finite. The seeds in testdata/fuzz/FuzzLedgerCSV
// run with every go test.
func FuzzLedgerCSV(f *testing.F) {
	f.Add([]byte("序号,名称,日期\n1,甲,2023-05-01\n"), []byte{})
	f.Fuzz(func(t *testing.T, data, merges []byte) {
		sh, err := sheet.ParseCSV(data)
		if err != nil {
			return
		}
		g := &grid{rows: sh.Texts()}
		for i := 0; i+3 < len(merges) && i < 64; i += 4 {
			r0, c0, r1, c1 := int(merges[i]%40), int(merges[i+1]%20), int(merges[i+2]%40), int(merges[i+3]%20)
			g.merges = append(g.merges, sheet.Range{R0: min(r0, r1), C0: min(c0, c1), R1: max(r0, r1), C1: max(c0, c1)})
		}
		h, err := findHeader(g)
		if err != nil {
			return
		}
		if h.top < 0 || h.bottom < h.top || h.bottom >= len(g.rows) {
			t.Fatalf("header rows %d–%d of %d", h.top, h.bottom, len(g.rows))
		}
		seen := map[string]bool{}
		for _, n := range h.names {
			if n == "" {
				continue
			}
			if seen[n] {
				t.Fatalf("duplicate column name %q in %q", n, h.names)
			}
			seen[n] = true
		}
		for r := h.bottom + 1; r < len(sh.Rows); r++ {
			footerRow(g.rows[r])
			for _, c := range sh.Rows[r] {
				if c.Value == nil {
					continue
				}
				for _, fd := range []land.Field{{Type: land.Float, Unit: "m²"}, {Type: land.Float, Unit: "万元"}, {Type: land.Int}, {Type: land.Date}, {Type: land.Bool}, {Type: land.Text}} {
					v, err := normaliseField(fd, c.Value)
					if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
						t.Fatalf("%q → %v", c.Value, x)
					}
					if err != nil && !strings.HasPrefix(badValue(fd, c.Value, err), "bad ") {
						t.Fatalf("wording of %v", err)
					}
				}
				coordinate(c.Value)
				parseWKT(c.Value)
			}
		}
	})
}
