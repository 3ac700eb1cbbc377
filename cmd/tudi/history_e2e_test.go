package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// histParcel is one square parcel of 0.001° with its south-west corner.
type histParcel struct {
	code, landuse string
	x, y          float64
}

func writeHistParcels(t *testing.T, dir, name string, ps []histParcel) string {
	t.Helper()
	var feats []string
	for _, p := range ps {
		d := 0.001
		ring := fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", p.x, p.y, p.x+d, p.y, p.x+d, p.y+d, p.x, p.y+d, p.x, p.y)
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"DKBH":%q,"DLBM":%q},"geometry":{"type":"Polygon","coordinates":[%s]}}`, p.code, p.landuse, ring))
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLayerHistoryEndToEnd imports a layer at three effective dates with
// tudi import --as-of and asks for its past over OGC API items, identify,
// tudi layer history|diff and the history API.
func TestLayerHistoryEndToEnd(t *testing.T) {
	base := sharedServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := RunEnv(ctx, append(args, "--data-dir", shared.dataDir), Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}
	// Far from the sample district, so that identify meets nothing else.
	const x0, y0 = 100.0, 30.0
	files := []string{
		writeHistParcels(t, dir, "2016.geojson", []histParcel{{"A", "0101", x0, y0}, {"B", "0201", x0 + 0.01, y0}, {"C", "0301", x0 + 0.02, y0}}),
		writeHistParcels(t, dir, "2017.geojson", []histParcel{{"A", "0101", x0, y0}, {"B", "0702", x0 + 0.01, y0}, {"D", "0701", x0 + 0.03, y0}}),
		writeHistParcels(t, dir, "2018.geojson", []histParcel{{"A", "0101", x0 + 0.05, y0}, {"B", "0702", x0 + 0.01, y0}, {"D", "0701", x0 + 0.03, y0}, {"E", "0801", x0 + 0.04, y0}}),
	}
	dates := []string{"2016-01-01", "2017-06-30", "2018-12-31"}
	wantChanges := []string{"added 3, changed 0, removed 0, unchanged 0", "added 1, changed 1, removed 1, unchanged 1", "added 1, changed 1, removed 0, unchanged 2"}
	for i, f := range files {
		code, out, errs := run("import", "--layer", "hist_parcels", "--kind", "parcels", "--as-of", dates[i], f)
		if code != 0 || !strings.Contains(out, "history as of "+dates[i]+": "+wantChanges[i]) {
			t.Fatalf("import %s: exit %d\n%s\n%s", dates[i], code, out, errs)
		}
	}

	items := func(asOf string) string {
		t.Helper()
		var fc struct {
			NumberMatched int `json:"numberMatched"`
			Features      []struct {
				Properties struct {
					Code    string `json:"code"`
					Landuse string `json:"landuse_code"`
				} `json:"properties"`
			} `json:"features"`
		}
		url := base + "/ogc/collections/hist_parcels/items?sortby=code"
		if asOf != "" {
			url += "&as_of=" + asOf
		}
		getJSON(t, url, 200, &fc)
		var got []string
		for _, f := range fc.Features {
			got = append(got, f.Properties.Code+":"+f.Properties.Landuse)
		}
		return fmt.Sprint(fc.NumberMatched, got)
	}
	t.Run("OGC items as_of answers from history, and without it the current state", func(t *testing.T) {
		for asOf, want := range map[string]string{
			"2015-12-31": "0 []",
			"2016-01-01": "3 [A:0101 B:0201 C:0301]",
			"2017-12-31": "3 [A:0101 B:0702 D:0701]",
			"2018-12-31": "4 [A:0101 B:0702 D:0701 E:0801]",
			"":           "4 [A:0101 B:0702 D:0701 E:0801]",
		} {
			if got := items(asOf); got != want {
				t.Errorf("as_of=%s: %s, want %s", asOf, got, want)
			}
		}
	})
	t.Run("a bad as_of date is a 400 naming the parameter", func(t *testing.T) {
		for _, url := range []string{"/ogc/collections/hist_parcels/items?as_of=2017-13-01", "/api/identify?lon=100&lat=30&as_of=yesterday"} {
			var e struct{ Error string }
			getJSON(t, base+url, 400, &e)
			if !strings.HasPrefix(e.Error, "as_of:") {
				t.Errorf("%s: %q", url, e.Error)
			}
		}
		var e struct{ Error string }
		getJSON(t, base+"/ogc/collections/stations/items?as_of=2017-01-01", 400, &e)
		if !strings.Contains(e.Error, "keeps no history") {
			t.Errorf("a layer without history: %q", e.Error)
		}
	})
	t.Run("identify as_of finds what was there on that date", func(t *testing.T) {
		at := func(x float64, asOf string) string {
			t.Helper()
			var res struct {
				Layers []struct {
					Layer    string `json:"layer"`
					Features []struct {
						Fields struct {
							Code    string `json:"code"`
							Landuse string `json:"landuse_code"`
						} `json:"fields"`
					} `json:"features"`
				} `json:"layers"`
			}
			url := fmt.Sprintf("%s/api/identify?lon=%.4f&lat=%.4f", base, x+0.0005, y0+0.0005)
			if asOf != "" {
				url += "&as_of=" + asOf
			}
			getJSON(t, url, 200, &res)
			var got []string
			for _, l := range res.Layers {
				for _, f := range l.Features {
					got = append(got, l.Layer+":"+f.Fields.Code+":"+f.Fields.Landuse)
				}
			}
			sort.Strings(got)
			return strings.Join(got, " ")
		}
		for _, c := range []struct {
			x          float64
			asOf, want string
		}{
			{x0, "2016-06-01", "hist_parcels:A:0101"},
			{x0, "2018-12-31", ""}, // A moved away
			{x0, "", ""},
			{x0 + 0.05, "2018-12-31", "hist_parcels:A:0101"},
			{x0 + 0.02, "2016-06-01", "hist_parcels:C:0301"},
			{x0 + 0.02, "2017-06-30", ""}, // C removed
			{x0 + 0.01, "2017-06-29", "hist_parcels:B:0201"},
			{x0 + 0.01, "2017-06-30", "hist_parcels:B:0702"},
			{x0 + 0.01, "2015-01-01", ""}, // before the first date
		} {
			if got := at(c.x, c.asOf); got != c.want {
				t.Errorf("identify at %.2f as of %q: %q, want %q", c.x, c.asOf, got, c.want)
			}
		}
	})
	t.Run("tudi layer history lists the imports with their counts", func(t *testing.T) {
		code, out, errs := run("layer", "history", "hist_parcels")
		if code != 0 || !strings.Contains(out, "history from 2016-01-01, latest effective date 2018-12-31") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 5 {
			t.Fatalf("want a title, a header and 3 imports:\n%s", out)
		}
		for i, want := range [][]string{{"2016-01-01", "3", "0", "0", "0"}, {"2017-06-30", "1", "1", "1", "1"}, {"2018-12-31", "1", "1", "0", "2"}} {
			f := strings.Fields(lines[2+i])
			if fmt.Sprint(f[0], f[2:6]) != fmt.Sprint(want[0], want[1:]) {
				t.Errorf("line %q, want %v", lines[2+i], want)
			}
		}
		var api struct {
			History bool `json:"history"`
			Imports []struct {
				Changes struct {
					EffectiveDate string `json:"effective_date"`
					Added         int    `json:"added"`
				} `json:"changes"`
			} `json:"imports"`
		}
		getJSON(t, base+"/api/layers/hist_parcels/history", 200, &api)
		if !api.History || len(api.Imports) != 3 || api.Imports[2].Changes.EffectiveDate != "2018-12-31" || api.Imports[0].Changes.Added != 3 {
			t.Fatalf("GET history: %+v", api)
		}
	})
	t.Run("tudi layer diff lists added, removed and changed features with the fields", func(t *testing.T) {
		code, out, errs := run("layer", "diff", "hist_parcels", "--from", "2016-01-01", "--to", "2018-12-31")
		want := "changed  A: geom\nchanged  B: landuse_code 0201 → 0702; props.DLBM\nremoved  C\nadded    D\nadded    E\n" +
			"layer \"hist_parcels\" from 2016-01-01 to 2018-12-31: 2 added, 2 changed, 1 removed\n"
		if code != 0 || out != want {
			t.Fatalf("exit %d\n%s\nwant\n%s\n%s", code, out, want, errs)
		}
		code, out, errs = run("layer", "diff", "hist_parcels", "--from", "2017-06-30", "--to", "2018-12-31", "--format", "geojson")
		var fc struct {
			Features []struct {
				Geometry   struct{ Type string } `json:"geometry"`
				Properties map[string]any        `json:"properties"`
			} `json:"features"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &fc) != nil || len(fc.Features) != 2 {
			t.Fatalf("geojson: exit %d\n%s\n%s", code, out, errs)
		}
		for _, f := range fc.Features {
			if f.Geometry.Type != "Polygon" || f.Properties["change"] == nil || f.Properties["code"] == nil {
				t.Errorf("feature %+v", f)
			}
		}
		var api struct {
			Features []struct {
				Code    string   `json:"code"`
				Change  string   `json:"change"`
				Changed []string `json:"changed"`
			} `json:"features"`
			Counts struct{ Added, Removed, Changed int } `json:"counts"`
		}
		getJSON(t, base+"/api/layers/hist_parcels/diff?from=2017-06-30&to=2018-12-31", 200, &api)
		if len(api.Features) != 2 || api.Features[0].Code != "A" || fmt.Sprint(api.Features[0].Changed) != "[geom]" || api.Counts.Added != 1 || api.Counts.Changed != 1 {
			t.Fatalf("GET diff: %+v", api)
		}
		var e struct{ Error string }
		getJSON(t, base+"/api/layers/hist_parcels/diff?from=2017-31-01", 400, &e)
		if !strings.HasPrefix(e.Error, "from:") {
			t.Errorf("bad from: %q", e.Error)
		}
	})
	t.Run("an import effective before the latest date is refused", func(t *testing.T) {
		code, _, errs := run("import", "--layer", "hist_parcels", "--as-of", "2018-01-01", files[0])
		if code != 2 || !strings.Contains(errs, "history can only be extended forward") {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if got := items(""); got != "4 [A:0101 B:0702 D:0701 E:0801]" {
			t.Fatalf("the layer changed: %s", got)
		}
	})
	t.Run("the web map's upload sends mode and as_of", func(t *testing.T) {
		var body bytes.Buffer
		body.WriteString("--x\r\nContent-Disposition: form-data; name=\"layer\"\r\n\r\nhist_parcels\r\n")
		body.WriteString("--x\r\nContent-Disposition: form-data; name=\"as_of\"\r\n\r\n2019-01-01\r\n")
		b, _ := os.ReadFile(files[1])
		body.WriteString("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"2019.geojson\"\r\n\r\n")
		body.Write(b)
		body.WriteString("\r\n--x--\r\n")
		req, _ := http.NewRequest("POST", base+"/api/imports", &body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var imp struct {
			Mode    string
			Summary struct {
				Changes struct {
					EffectiveDate string `json:"effective_date"`
					Added         int
					Changed       int
					Removed       int
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&imp); err != nil || resp.StatusCode != 201 || imp.Mode != "history" ||
			fmt.Sprint(imp.Summary.Changes) != "{2019-01-01 0 1 1}" {
			t.Fatalf("upload: %d %+v %v", resp.StatusCode, imp, err)
		}
	})
	t.Run("a report as of a date reads the layer's state on that date", func(t *testing.T) {
		report := func(asOf string) string {
			t.Helper()
			code, out, errs := run("report", "land-use-summary", "--layer", "parcels=hist_parcels", "--group", "class", "--as-of", asOf, "--format", "json")
			if code != 0 {
				t.Fatalf("report as of %s: exit %d\n%s", asOf, code, errs)
			}
			var res struct {
				Rows []struct {
					Class   string `json:"class_code"`
					Parcels int    `json:"parcels"`
				}
				Notes []string
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var got []string
			for _, r := range res.Rows {
				got = append(got, fmt.Sprintf("%s:%d", r.Class, r.Parcels))
			}
			return strings.Join(got, " ") + " | " + strings.Join(res.Notes, "; ")
		}
		for asOf, want := range map[string]string{
			"2016-06-30": "01:1 02:1 03:1 | ",
			"2017-12-31": "01:1 07:2 | ",
			"2015-12-31": ` | layer "hist_parcels"'s history begins on 2016-01-01: as of 2015-12-31 it is empty`,
		} {
			if got := report(asOf); got != want {
				t.Errorf("as of %s: %q, want %q", asOf, got, want)
			}
		}
		// Grouped by sub-district, the sample's boundaries (history from
		// today) stand in for the past with their earliest state.
		code, out, errs := run("report", "land-use-summary", "--group", "street", "--as-of", "2016-06-30", "--format", "json")
		if code != 0 || !strings.Contains(out, `its boundaries of that date are used for 2016-06-30`) || strings.Contains(out, "未划分") {
			t.Errorf("grouped by street as of 2016-06-30: exit %d\n%.600s\n%s", code, out, errs)
		}
	})
}
