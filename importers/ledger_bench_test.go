package importers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// mustBigLedger writes an idle-land ledger of n rows as .xlsx (streamed)
// and as a GBK .csv: a title row, ten columns of text dates, numbers with
// units and coordinates.
func mustBigLedger(tb testing.TB, dir string, n int) (xlsx, csv string) {
	tb.Helper()
	header := []any{"编号", "类型", "认定日期", "处置日期", "面积", "备注", "街道", "经度", "纬度", "序号"}
	xlsx = filepath.Join(dir, "big.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	sw.SetRow("A1", []any{"某区闲置土地台账"})
	sw.SetRow("A2", header)
	text := "某区闲置土地台账\n编号,类型,认定日期,处置日期,面积,备注,街道,经度,纬度,序号\n"
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		lon := 113.9 + float64(i%100)/1000
		sw.SetRow(cell, []any{fmt.Sprintf("XZ-%d", i), "闲置", "2023/5/1", "2023年6月1日", "1,234.5 平方米", "备注文字", "甲街道", lon, 22.5, i + 1})
		text += fmt.Sprintf("XZ-%d,闲置,2023/5/1,2023年6月1日,\"1,234.5 平方米\",备注文字,甲街道,%v,22.5,%d\n", i, lon, i+1)
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(xlsx); err != nil {
		tb.Fatal(err)
	}
	csv = filepath.Join(dir, "big.csv")
	if err := os.WriteFile(csv, []byte(gbk(tb, text)), 0o644); err != nil {
		tb.Fatal(err)
	}
	return xlsx, csv
}

// BenchmarkImportLedger measures a whole import of a 5 000-row ledger into
// PostGIS (points from lon/lat), from .xlsx and from a GBK .csv.
func BenchmarkImportLedger(b *testing.B) {
	const n = 5000
	xlsx, csv := mustBigLedger(b, b.TempDir(), n)
	e := newBenchEnv(b)
	for _, c := range []struct{ name, path string }{{"xlsx", xlsx}, {"csv", csv}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.im.Import(context.Background(), Request{Layer: "idle_" + c.name, Kind: "idle_land", Files: []string{c.path}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
