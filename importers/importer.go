package importers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"tudi/geo"
	"tudi/land"
	"tudi/postgis"
)

// Importer runs imports against one database.
type Importer struct {
	db  *postgis.DB
	log *slog.Logger
	// maxUnzipped caps what one zip archive may unpack to.
	maxUnzipped int64
	// maxProblems caps the per-feature problems kept in the summary (all
	// are counted).
	maxProblems int
	// workers is the number of connections an import spreads its database
	// work over.
	workers int
}

// New returns an importer. It first removes the temp files that imports of
// this user's tudi processes killed meanwhile left behind (RemoveStaleTemp).
func New(db *postgis.DB, log *slog.Logger) *Importer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	RemoveStaleTemp(log)
	return &Importer{db: db, log: log, maxUnzipped: defaultMaxUnzipped, maxProblems: 1000, workers: min(max(runtime.NumCPU(), 1), 4)}
}

// Request is one import: files into a layer.
type Request struct {
	Layer       string            // target layer name
	Kind        land.Kind         // kind of a new layer; must match an existing layer's kind when set
	Mode        string            // "history", "replace" or "append"; "" decides (see resolveMode)
	AsOf        time.Time         // history mode: the effective date (a UTC midnight); zero: today
	Encoding    string            // overrides the detected .dbf encoding
	SRID        int               // overrides the detected CRS
	Map         map[string]string // canonical field → source field, over the kind's presets
	SourceLayer string            // the layer to read from a GeoPackage or a zip holding several
	Files       []string          // paths of the input files (.shp with siblings, .zip, .geojson, .json, .gpkg)
	User        string            // who imports, for the history
	Title       string            // title of a new layer (default: the kind's Chinese name, or the layer name)
	// Names, when set, are the names to record for Files (uploads are
	// stored under temporary names); same length as Files.
	Names []string
	// Ledger holds the settings of an .xlsx or .csv ledger.
	Ledger LedgerOptions
	// Progress, when not nil, is called now and then with the features read
	// so far and the total when known (0 otherwise).
	Progress func(read, total int64)
	// Repair is how invalid geometries are repaired: "" (RepairBounded),
	// RepairFast, RepairFull or RepairOff.
	Repair string
	// RepairBudget is the time one repair step of one feature may take
	// (0: DefaultRepairBudget).
	RepairBudget time.Duration
	// Validation, when not nil, is called about twice a second while the
	// geometries are checked and repaired.
	Validation func(ValidationProgress)
}

// Import runs req: all or nothing. On success it returns the import record;
// on failure the layer is exactly as it was, the failure is recorded in the
// history, and the error names the file and record at fault. The record is
// returned in both cases (with Status "failed" and Error on failure).
func (im *Importer) Import(ctx context.Context, req Request) (*land.Import, error) {
	imp := &land.Import{Layer: req.Layer, Kind: req.Kind, Mode: req.Mode, User: req.User, Status: "ok",
		StartedAt: time.Now().UTC(), Files: []land.ImportFile{}}
	if imp.Kind == "" {
		imp.Kind = land.Generic
	}
	err := im.run(ctx, req, imp)
	if err == nil {
		im.log.Info("import done", "layer", imp.Layer, "import_id", imp.ID, "rows", imp.Summary.Loaded,
			"rejected", imp.Summary.Rejected, "repaired", imp.Summary.Repaired, "duration_ms", imp.DurationMS)
		return imp, nil
	}
	imp.Status = "failed"
	imp.Error = err.Error()
	imp.FinishedAt = time.Now().UTC()
	imp.DurationMS = imp.FinishedAt.Sub(imp.StartedAt).Milliseconds()
	// The failure is recorded outside the rolled-back transaction, and even
	// when the caller's context is done (an interrupted import is history
	// too).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := postgis.CreateImport(rctx, im.db.Pool, imp); rerr != nil {
		im.log.Warn("cannot record a failed import", "layer", imp.Layer, "error", rerr)
	}
	return imp, err
}

// problems collects per-feature problems, keeping the first max of each
// action and counting all.
type problems struct {
	max                          int
	list                         []land.ImportProblem
	repaired, rejected, warnings int64
	kept                         map[string]int
}

func (p *problems) add(pr land.ImportProblem) {
	switch pr.Action {
	case "repaired":
		p.repaired++
	case "rejected":
		p.rejected++
	default:
		p.warnings++
	}
	if p.kept == nil {
		p.kept = map[string]int{}
	}
	if p.kept[pr.Action] < p.max {
		p.kept[pr.Action]++
		p.list = append(p.list, pr)
	}
}

func (im *Importer) run(ctx context.Context, req Request, imp *land.Import) (err error) {
	// Hash the input files (and a .shp's sidecars) while they are read; a
	// failed import stops hashing and records the names and sizes.
	hctx, hcancel := context.WithCancel(ctx)
	var hashes errgroup.Group
	paths := slices.Clone(req.Files)
	files := make([]land.ImportFile, 0, len(req.Files))
	for i, f := range req.Files {
		name := filepath.Base(f)
		if len(req.Names) == len(req.Files) {
			name = req.Names[i]
		}
		files = append(files, land.ImportFile{Name: name})
	}
	for _, f := range req.Files {
		if !strings.EqualFold(filepath.Ext(f), ".shp") {
			continue
		}
		sib, err := siblings(f)
		if err != nil {
			continue
		}
		for _, ext := range []string{".shx", ".dbf", ".prj", ".cpg"} {
			if p, ok := sib[ext]; ok && !slices.Contains(paths, p) {
				paths = append(paths, p)
				files = append(files, land.ImportFile{Name: filepath.Base(p)})
			}
		}
	}
	for i := range files {
		hashes.Go(func() error {
			st, err := os.Stat(paths[i])
			if err != nil {
				return nil // reported by openSource
			}
			files[i].Size = st.Size()
			files[i].SHA256, err = sha256File(hctx, paths[i])
			return err
		})
	}
	hashWait := func() error {
		if err := hashes.Wait(); err != nil {
			return fmt.Errorf("hash input files: %w", err)
		}
		imp.Files = files
		return nil
	}
	defer func() {
		if err != nil {
			hcancel()
			_ = hashes.Wait()
			imp.Files = files // names and sizes; hashes where done
		}
		hcancel()
	}()

	if err := land.ValidateLayerName(req.Layer); err != nil {
		return err
	}
	switch imp.Mode {
	case "", "history", "replace", "append":
	default:
		return land.Errorf(land.Invalid, "mode %q: use history, replace or append", imp.Mode)
	}
	if req.Kind != "" {
		if _, err := im.db.Kinds.ParseKind(string(req.Kind)); err != nil {
			return err
		}
	}
	if req.SRID < 0 {
		return land.Errorf(land.Invalid, "--srid %d is not an EPSG code", req.SRID)
	}
	if req.Encoding != "" {
		if _, err := lookupEncoding(req.Encoding, "--encoding"); err != nil {
			return err
		}
	}
	tmp, err := TempDir("import")
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp)
	info := &sourceInfo{}
	src, err := im.openSource(ctx, req, tmp, info)
	if err != nil {
		return err
	}
	defer src.Close()
	return im.load(ctx, req, imp, src, info, hashWait)
}

func sha256File(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// settleSRID decides the source CRS when the file did not say: from the
// extent the file declares or the first feature, loudly. A decision taken
// on the first feature is returned as a check for the whole extent, which
// the reader applies at the end of the read (see extentTracker).
func (im *Importer) settleSRID(info *sourceInfo, first *feature) (*extentCheck, error) {
	if info.SRID != 0 {
		return nil, nil
	}
	if info.Format == "geojson" {
		return geojsonSRID(info, first)
	}
	var b orb.Bound
	fromFirst := false
	switch {
	case info.Bound != nil && !(info.Bound.Min == orb.Point{} && info.Bound.Max == orb.Point{}):
		b = *info.Bound
	case first != nil && first.Geom != nil:
		b, fromFirst = first.Geom.Bound(), true
	default:
		info.SRID, info.SRIDSource = geo.CGCS2000, "assumed (no CRS and no geometry to look at)"
		return nil, nil
	}
	srid, why, err := geo.GuessSRID(b)
	if err != nil {
		what := "no .prj"
		if info.Format != "shapefile" {
			what = "no coordinate system"
		}
		return nil, land.Errorf(land.Invalid, "%s has %s: %v (--srid)", info.File, what, err)
	}
	var check *extentCheck
	if fromFirst {
		check = gkCheck(srid, why)
	}
	info.SRID = srid
	info.SRIDSource = "guessed"
	note := fmt.Sprintf("WARNING: %s says nothing about its coordinate system; %s. If that is wrong, import again with --srid.", info.File, why)
	info.Notes = append(info.Notes, note)
	im.log.Warn("coordinate system guessed", "file", info.File, "srid", srid, "why", why)
	return check, nil
}

// randomName returns a fresh suffix for working tables.
func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sortProblems(ps []land.ImportProblem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Record < ps[j].Record })
}
