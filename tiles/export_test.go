package tiles_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"

	"tudi/tiles"
)

func TestSeedAndExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 30, 30)
	e.mustCreateFarmland("farmland")
	r := tiles.Range{Layers: []string{"parcels", "farmland"}, MinZoom: 12, MaxZoom: 16}
	n, err := e.svc.CountTiles(ctx, r)
	if err != nil || n < 10 {
		t.Fatalf("CountTiles: %d, %v", n, err)
	}
	tile := tileAt(originLon+0.004, originLat+0.004, 15)
	served := e.get(tilePath("parcels,farmland", tile)).body

	t.Run("seed pre-renders every tile layer once; a second seed finds them current", func(t *testing.T) {
		var last int
		sum, err := e.svc.Seed(ctx, r, func(done, total int) { last = done })
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rendered == 0 || sum.Current != 0 || last != sum.Tiles {
			t.Fatalf("first seed: %+v, progress ended at %d", sum, last)
		}
		again, err := e.svc.Seed(ctx, r, nil)
		if err != nil || again.Current != sum.Tiles || again.Rendered != 0 {
			t.Fatalf("second seed: %+v, %v", again, err)
		}
		fresh, err := tiles.New(e.db, tiles.Config{}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := fresh.Tile(ctx, []string{"parcels"}, tile, false)
		if err != nil || len(d.Gzip()) == 0 {
			t.Fatalf("seeded tile: %d bytes, %v", len(d.Gzip()), err)
		}
	})

	t.Run("export to MBTiles writes the served tiles in the TMS scheme, readable by GDAL", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "land.mbtiles")
		sum, err := e.svc.Export(ctx, r, tiles.FormatMBTiles, path, nil)
		if err != nil || sum.Stored == 0 || sum.Tiles != n {
			t.Fatalf("export: %+v, %v", sum, err)
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var data []byte
		if err := db.QueryRow(`SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`,
			tile.Z, tile.X, (1<<tile.Z)-1-tile.Y).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gunzip(t, data), served) {
			t.Fatal("the exported tile differs from the served one")
		}
		var format, js string
		if err := db.QueryRow(`SELECT (SELECT value FROM metadata WHERE name = 'format'), (SELECT value FROM metadata WHERE name = 'json')`).Scan(&format, &js); err != nil {
			t.Fatal(err)
		}
		if format != "pbf" || !strings.Contains(js, `"vector_layers"`) || !strings.Contains(js, `"parcels"`) {
			t.Fatalf("metadata format %q json %s", format, js)
		}
		out, err := exec.Command("ogrinfo", "-ro", "-so", path, "parcels").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Layer name: parcels") {
			t.Fatalf("ogrinfo on the MBTiles: %v\n%s", err, out)
		}
	})

	t.Run("export to PMTiles writes a v3 archive whose directory finds the served tiles", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "land.pmtiles")
		sum, err := e.svc.Export(ctx, r, tiles.FormatPMTiles, path, nil)
		if err != nil || sum.Stored == 0 {
			t.Fatalf("export: %+v, %v", sum, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:7]) != "PMTiles" || b[7] != 3 || b[99] != 1 || int(b[100]) != 12 || int(b[101]) != 16 {
			t.Fatalf("header %q version %d type %d zooms %d-%d", b[:7], b[7], b[99], b[100], b[101])
		}
		le := binary.LittleEndian
		rootOff, rootLen := le.Uint64(b[8:]), le.Uint64(b[16:])
		dataOff := le.Uint64(b[56:])
		if le.Uint64(b[48:]) != 0 {
			t.Fatal("a small archive should need no leaf directories")
		}
		// Decode the root directory (spec v3) and find the tile.
		dir := gunzip(t, b[rootOff:rootOff+rootLen])
		rd := bytes.NewReader(dir)
		count, _ := binary.ReadUvarint(rd)
		ids, runs, lens, offs := make([]uint64, count), make([]uint64, count), make([]uint64, count), make([]uint64, count)
		var id uint64
		for i := range ids {
			d, _ := binary.ReadUvarint(rd)
			id += d
			ids[i] = id
		}
		for i := range runs {
			runs[i], _ = binary.ReadUvarint(rd)
		}
		for i := range lens {
			lens[i], _ = binary.ReadUvarint(rd)
		}
		for i := range offs {
			o, _ := binary.ReadUvarint(rd)
			if o == 0 && i > 0 {
				offs[i] = offs[i-1] + lens[i-1]
			} else {
				offs[i] = o - 1
			}
		}
		want := hilbertID(tile.Z, tile.X, tile.Y)
		for i := range ids {
			if want >= ids[i] && want < ids[i]+runs[i] {
				got := gunzip(t, b[dataOff+offs[i]:dataOff+offs[i]+lens[i]])
				if !bytes.Equal(got, served) {
					t.Fatal("the PMTiles tile differs from the served one")
				}
				if _, err := mvt.Unmarshal(got); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("tile %s (id %d) not in the directory of %d entries", tile, want, count)
	})

	t.Run("bad ranges are refused", func(t *testing.T) {
		for _, bad := range []tiles.Range{
			{Layers: []string{"parcels"}, MinZoom: 5, MaxZoom: 3},
			{Layers: []string{"parcels"}, MinZoom: 0, MaxZoom: 30},
			{MinZoom: 1, MaxZoom: 2},
		} {
			if _, err := e.svc.Export(ctx, bad, tiles.FormatMBTiles, filepath.Join(t.TempDir(), "x.mbtiles"), nil); err == nil {
				t.Errorf("range %+v accepted", bad)
			}
		}
		if _, err := e.svc.Export(ctx, r, "zip", filepath.Join(t.TempDir(), "x.zip"), nil); err == nil {
			t.Error("format zip accepted")
		}
	})
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hilbertID is the PMTiles tile id, written independently of the package's.
func hilbertID(z, x, y int) uint64 {
	base := (uint64(1)<<(2*z) - 1) / 3
	n := 1 << z
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		rx, ry := 0, 0
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
	}
	return base + d
}
