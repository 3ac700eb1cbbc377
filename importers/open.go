package importers

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"tudi/land"
)

// Limits of a zip archive, against zip bombs: the files a shapefile needs
// are few, and what they unpack to is bounded.
const (
	maxZipEntries       = 10000
	defaultMaxUnzipped  = 16 << 30 // bytes
	maxZipCompressRatio = 1000     // uncompressed/compressed of one entry
)

// openSource picks the reader for the request's files: a .shp (its siblings
// found next to it; a .dbf/.shx/.prj/.cpg given too is fine), a .zip, a
// .geojson/.json/.geojsonl/.geojsons or a .gpkg. tmp is a directory for
// unpacking zips.
func (im *Importer) openSource(ctx context.Context, req Request, tmp string, info *sourceInfo) (source, error) {
	var main []string
	for _, f := range req.Files {
		switch strings.ToLower(filepath.Ext(f)) {
		case ".shp", ".zip", ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson", ".gpkg", ".xlsx", ".xlsm", ".csv":
			main = append(main, f)
		case ".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml":
			// siblings of a .shp
		case ".xls", ".et":
			return nil, land.Errorf(land.Invalid, "%s: an old binary spreadsheet (unsupported): save it as .xlsx or .csv", filepath.Base(f))
		default:
			return nil, land.Errorf(land.Invalid, "%s: unsupported file type (use .shp, .zip, .geojson, .json, .gpkg, .xlsx or .csv)", filepath.Base(f))
		}
	}
	for _, f := range req.Files {
		if _, err := os.Stat(f); err != nil {
			return nil, land.Errorf(land.Invalid, "%s: %v", filepath.Base(f), err)
		}
	}
	switch len(main) {
	case 0:
		if len(req.Files) == 0 {
			return nil, land.Errorf(land.Invalid, "no file to import")
		}
		return nil, land.Errorf(land.Invalid, "no .shp among the files %s", baseNames(req.Files))
	case 1:
	default:
		return nil, land.Errorf(land.Invalid, "one layer per import: got %d data files %s", len(main), baseNames(main))
	}
	p := main[0]
	if isLedger(p) {
		return im.openLedger(ctx, p, req, info)
	}
	if err := req.Ledger.onlyForLedgers(p); err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(p), ".zip") {
		inner, err := unzip(p, req.SourceLayer, tmp, im.maxUnzipped)
		if err != nil {
			return nil, err
		}
		info.Notes = append(info.Notes, fmt.Sprintf("read %s from %s", relName(tmp, inner), filepath.Base(p)))
		p = inner
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".shp":
		return openShapefile(p, req, info)
	case ".gpkg":
		return openGPKG(ctx, p, req, info)
	default:
		return openGeoJSON(p, req, info)
	}
}

func relName(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.Base(p)
}

func baseNames(files []string) string {
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(f))
	}
	return strings.Join(out, ", ")
}

// unzip finds the layer in a zip archive — a shapefile (in any sub-folder),
// else a GeoPackage or GeoJSON file — and unpacks the files it needs into
// dir, returning the path of the main one. Several shapefiles need
// sourceLayer (the base name, with or without its folder). Entries with
// absolute paths or .. are refused, as are archives beyond the limits.
func unzip(zipPath, sourceLayer, dir string, maxTotal int64) (string, error) {
	name := filepath.Base(zipPath)
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", land.Errorf(land.Invalid, "%s: not a readable zip archive: %v", name, err)
	}
	defer zr.Close()
	if len(zr.File) > maxZipEntries {
		return "", land.Errorf(land.TooLarge, "%s has %d entries (at most %d)", name, len(zr.File), maxZipEntries)
	}
	var layers []string // entry paths without extension, of .shp / .gpkg / .geojson
	byStem := map[string][]*zip.File{}
	for _, f := range zr.File {
		n := f.Name
		if strings.Contains(n, `\`) {
			n = strings.ReplaceAll(n, `\`, "/")
		}
		if path.IsAbs(n) || filepath.IsAbs(n) || strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':') || slices.Contains(strings.Split(n, "/"), "..") {
			return "", land.Errorf(land.Invalid, "%s: entry %q points outside the archive (absolute or ../ path): refused", name, f.Name)
		}
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(n), "._") || strings.HasPrefix(n, "__MACOSX/") {
			continue
		}
		ext := strings.ToLower(path.Ext(n))
		stem := strings.TrimSuffix(n, path.Ext(n))
		byStem[strings.ToLower(stem)] = append(byStem[strings.ToLower(stem)], f)
		switch ext {
		case ".shp", ".gpkg", ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson":
			layers = append(layers, n)
		}
	}
	var shps []string
	for _, l := range layers {
		if strings.EqualFold(path.Ext(l), ".shp") {
			shps = append(shps, l)
		}
	}
	cands := shps
	if len(cands) == 0 {
		cands = layers
	}
	var pick string
	switch {
	case len(cands) == 0:
		var all []string
		for _, f := range zr.File {
			all = append(all, f.Name)
		}
		if len(all) > 10 {
			all = append(all[:10], "…")
		}
		return "", land.Errorf(land.Invalid, "%s holds no shapefile (.shp), GeoPackage or GeoJSON (entries: %s)", name, strings.Join(all, ", "))
	case sourceLayer != "":
		for _, c := range cands {
			stem := strings.TrimSuffix(c, path.Ext(c))
			if strings.EqualFold(stem, sourceLayer) || strings.EqualFold(path.Base(stem), sourceLayer) || strings.EqualFold(c, sourceLayer) {
				pick = c
				break
			}
		}
		if pick == "" && len(cands) == 1 && !strings.EqualFold(path.Ext(cands[0]), ".shp") {
			pick = cands[0] // a GeoPackage: the source layer names its table
		}
		if pick == "" {
			return "", land.Errorf(land.Invalid, "%s has no layer %q (it has: %s)", name, sourceLayer, strings.Join(cands, ", ")).WithDetail(map[string]any{"layers": cands})
		}
	case len(cands) > 1:
		return "", land.Errorf(land.Invalid, "%s holds %d layers (%s): choose one with --source-layer", name, len(cands), strings.Join(cands, ", ")).WithDetail(map[string]any{"layers": cands})
	default:
		pick = cands[0]
	}
	stem := strings.ToLower(strings.TrimSuffix(pick, path.Ext(pick)))
	var total int64
	var mainPath string
	for _, f := range byStem[stem] {
		ext := strings.ToLower(path.Ext(f.Name))
		if !slices.Contains([]string{".shp", ".shx", ".dbf", ".prj", ".cpg", ".gpkg", ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson"}, ext) {
			continue
		}
		if f.UncompressedSize64 > uint64(maxTotal) || (f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > maxZipCompressRatio && f.UncompressedSize64 > 1<<20) {
			return "", land.Errorf(land.TooLarge, "%s: entry %q would unpack to %d bytes from %d (refused as a zip bomb)", name, f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
		out := filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(f.Name, `\`, "/")))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return "", fmt.Errorf("unzip %s: %w", name, err)
		}
		n, err := extract(f, out, maxTotal-total)
		total += n
		if err != nil {
			return "", land.Errorf(land.Invalid, "%s: entry %q: %w", name, f.Name, err)
		}
		if strings.EqualFold(f.Name, pick) || strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), pick) {
			mainPath = out
		}
	}
	if mainPath == "" {
		return "", land.Errorf(land.Invalid, "%s: %q could not be unpacked", name, pick)
	}
	return mainPath, nil
}

// extract copies one entry to out, refusing to write more than limit bytes
// whatever the entry's header claims.
func extract(f *zip.File, out string, limit int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	w, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(rc, limit+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, land.Errorf(land.TooLarge, "unpacks to more than the limit of %d bytes", limit)
	}
	return n, nil
}
