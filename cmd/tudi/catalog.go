package main

import (
	"context"
	"flag"
	"io/fs"
	"os"

	"tudi/land"
	"tudi/postgis"
	"tudi/reports"
)

// Catalog is the catalogue a command runs with: the embedded kinds and
// reports, plus those of --catalog DIR (DIR/kinds/*.yaml, DIR/reports/*.sql, DIR/holidays/*.yaml),
// which add kinds and reports or replace those of the same name.
type Catalog struct {
	Dir     string
	Kinds   *land.Catalog
	Reports *reports.Catalog
}

// addCatalogFlag registers --catalog (env TUDI_CATALOG) on fs.
func addCatalogFlag(fs *flag.FlagSet, dir *string, env Env) {
	fs.StringVar(dir, "catalog", env.Getenv("TUDI_CATALOG"), "directory of kinds (kinds/*.yaml) and reports (reports/*.sql) and working-day calendars (holidays/*.yaml) that add to or replace the embedded ones (env TUDI_CATALOG); see docs/catalogue.md")
}

// loadCatalog reads the catalogue of dir (the embedded one when dir is
// empty). Any problem is Invalid (exit code 2), naming the file and line.
func loadCatalog(dir string) (*Catalog, error) {
	c := &Catalog{Dir: dir, Kinds: land.DefaultCatalog(), Reports: reports.DefaultCatalog()}
	if dir == "" {
		return c, nil
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, land.Errorf(land.Invalid, "--catalog %s: not a directory", dir)
	}
	fsys := os.DirFS(dir)
	if c.Kinds, err = c.Kinds.Overlay(fsys, "kinds", dir+"/kinds"); err != nil {
		return nil, err
	}
	if c.Reports, err = c.Reports.Overlay(fsys, "reports", dir+"/reports"); err != nil {
		return nil, err
	}
	if c.Reports, err = c.Reports.OverlayHolidays(fsys, "holidays", dir+"/holidays"); err != nil {
		return nil, err
	}
	c.Reports = c.Reports.WithKinds(c.Kinds)
	if _, err := fs.Stat(fsys, "kinds"); err != nil {
		if _, err := fs.Stat(fsys, "reports"); err != nil {
			if _, err := fs.Stat(fsys, "holidays"); err != nil {
				return nil, land.Errorf(land.Invalid, "--catalog %s: has none of kinds/, reports/, holidays/", dir)
			}
		}
	}
	return c, nil
}

// check describes the reports' SQL against db (see reports.Catalog.Check).
func (c *Catalog) check(ctx context.Context, db *postgis.DB) error {
	return c.Reports.Check(ctx, db)
}
