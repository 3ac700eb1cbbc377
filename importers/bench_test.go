package importers

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"tudi/land"
)

// BenchmarkReadShapefile measures the reader alone: .shp geometry, .dbf
// decoding (GBK) and mapping onto the parcels kind, per feature.
func BenchmarkReadShapefile(b *testing.B) {
	dir, m := MustSample(b)
	b.ReportAllocs()
	for b.Loop() {
		info := &sourceInfo{}
		s, err := openShapefile(filepath.Join(dir, "parcels.shp"), Request{}, info)
		if err != nil {
			b.Fatal(err)
		}
		mp, _ := newMapper(land.Parcels.Spec(), nil)
		var w ewkbWriter
		w.srid = uint32(info.SRID)
		for {
			f, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			mp.mapFeature(f, info.File)
			if f.Geom != nil {
				w.encode(f.Geom)
			}
		}
		s.Close()
	}
	b.ReportMetric(float64(m.Layers[1].Features)*float64(b.N)/b.Elapsed().Seconds(), "features/s")
}

// BenchmarkImportSampleParcels measures a whole import of the scale-1
// parcels (2 500 features) into PostGIS, replacing the layer each time.
func BenchmarkImportSampleParcels(b *testing.B) {
	dir, _ := MustSample(b)
	tdb := newBenchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tdb.im.Import(context.Background(), Request{Layer: "parcels", Files: []string{filepath.Join(dir, "parcels.shp")}}); err != nil {
			b.Fatal(err)
		}
	}
}
