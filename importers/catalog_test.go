package importers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// The importer resolves kinds in the catalogue of its database: a kind the
// catalogue adds is a kind to import into, and a kind it replaces brings
// its own presets.
func TestImportResolvesKindsInTheCatalogue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat, err := land.DefaultCatalog().Overlay(fstest.MapFS{
		"kinds/permits.yaml": {Data: []byte(`kind: works_permits
title: 施工许可
fields:
  - {name: code, type: text, title: 许可证号, presets: [许可证号]}
  - {name: issued_date, type: date, title: 发证日期, presets: [发证日期]}
  - {name: floor_area_m2, type: float, title: 建筑面积, unit: m², presets: [建筑面积]}
style: {fill: "#fdbf6f"}
`)},
		"kinds/generic.yaml": {Data: []byte(`kind: generic
title: 图层
fields:
  - {name: name, type: text, title: 名称, presets: [项目名称]}
style: {fill: "#9ecae1"}
`)},
	}, "kinds", "cat/kinds")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	permits := write("permits.csv", "施工许可台账,,\n许可证号,发证日期,建筑面积\nP1,2023年5月1日,\"1,200 平方米\"\nP2,20230615,80\n")

	// Without the catalogue, the kind is unknown.
	if _, err := e.im.Import(context.Background(), Request{Layer: "permits", Kind: "works_permits", Files: []string{permits}}); err == nil || !strings.Contains(err.Error(), `unknown kind "works_permits"`) {
		t.Fatalf("embedded catalogue: %v", err)
	}
	e.db.Kinds = cat
	imp := e.MustImport(t, Request{Layer: "permits", Kind: "works_permits", Files: []string{permits}})
	if imp.Kind != "works_permits" || imp.Summary.Loaded != 2 || imp.Mode != "history" {
		t.Fatalf("import %+v", imp)
	}
	var got string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT string_agg(code || ' ' || issued_date || ' ' || floor_area_m2, '; ' ORDER BY code) FROM layers.permits`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "P1 2023-05-01 1200; P2 2023-06-15 80"; got != want {
		t.Fatalf("rows %q, want %q", got, want)
	}
	var title string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT kind || ' ' || title FROM tudi.layers WHERE name = 'permits'`).Scan(&title); err != nil || title != "works_permits 施工许可" {
		t.Fatalf("registry %q %v", title, err)
	}

	// Without the catalogue, the layer is read with no canonical fields (its
	// table as it is) and not imported into.
	e.db.Kinds = nil
	if _, err := e.im.Import(context.Background(), Request{Layer: "permits", Files: []string{permits}}); land.KindOf(err) != land.Conflict || !strings.Contains(err.Error(), "which the catalogue does not have") {
		t.Fatalf("import without the catalogue: %v", err)
	}
	l, err := e.db.FindLayer(context.Background(), "permits")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Identify(context.Background(), []*land.Layer{l}, postgis.IdentifyOptions{Lon: 114, Lat: 22.5, ToleranceM: 5, Limit: 5}); err != nil {
		t.Fatalf("identify without the catalogue: %v", err)
	}
	if err := pgx.BeginFunc(context.Background(), e.db.Pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "SELECT * FROM "+postgis.AsOfTable("permits", e.db.Spec(l.Kind), time.Now())+" t")
		return err
	}); err != nil {
		t.Fatalf("as of without the catalogue: %v", err)
	}
	e.db.Kinds = cat

	// A replaced kind's presets fill its fields.
	projects := write("projects.csv", "项目名称,投资\n甲项目,1\n")
	e.MustImport(t, Request{Layer: "projects", Files: []string{projects}})
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT name FROM layers.projects`).Scan(&got); err != nil || got != "甲项目" {
		t.Fatalf("name %q %v", got, err)
	}
}
