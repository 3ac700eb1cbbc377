package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"tudi/httpx"
	"tudi/importers"
	"tudi/land"
	"tudi/postgis"
)

// listImports serves GET /api/imports[?layer=&limit=&offset=]: the import
// history, newest first.
func (s *Server) listImports(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := postgis.ImportFilter{Layer: q.Get("layer")}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return land.Errorf(land.Invalid, "%s=%q: want a whole number ≥ 0", name, v)
			}
			*dst = n
		}
	}
	list, err := s.db.FindImports(r.Context(), f)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, map[string]any{"imports": list})
}

// getImport serves GET /api/imports/{id}.
func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return land.Errorf(land.NotFound, "import %q not found", chi.URLParam(r, "id"))
	}
	imp, err := s.db.FindImport(r.Context(), id)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.MediaJSON, imp)
}

// postImport serves POST /api/imports: a multipart form with one or more
// "file" parts and the fields layer, kind, mode, encoding, srid, map
// (repeatable FIELD=SOURCE) and source_layer. The parts are streamed into a
// temporary directory (removed afterwards), at most MaxUploadBytes in all,
// and imported as tudi import would. Answers 201 with the import record; a
// failed import answers with the error and the failed record as detail.
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	limit := s.cfg.MaxUploadBytes
	if r.ContentLength > limit {
		return land.Errorf(land.TooLarge, "the upload of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return land.Errorf(land.Invalid, "want a multipart/form-data upload with file parts: %v", err)
	}
	dir, err := importers.TempDir("upload")
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer os.RemoveAll(dir)

	req := importers.Request{Map: map[string]string{}, User: uploader(r)}
	seen := map[string]bool{}
	checked := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uploadErr(err, limit)
		}
		if err := s.readPart(part, dir, seen, &req, limit); err != nil {
			part.Close()
			return err
		}
		part.Close()
		// Refused as soon as the layer is known (the page sends it first).
		if req.Layer != "" && !checked {
			if err := mayImport(r, req.Layer); err != nil {
				return err
			}
			checked = true
		}
	}
	if req.Layer == "" {
		return land.Errorf(land.Invalid, "the form field \"layer\" is required")
	}
	if len(req.Files) == 0 {
		return land.Errorf(land.Invalid, "no \"file\" part in the upload")
	}
	if err := mayImport(r, req.Layer); err != nil {
		return err
	}
	imp, err := s.importer.Import(r.Context(), req)
	if err != nil {
		// The failed record goes along as detail, unless the error is
		// internal (its text is for the log, not the client).
		var le *land.Error
		if imp != nil && imp.ID != 0 && errors.As(err, &le) && le.Detail == nil && le.Kind != land.Internal {
			le.Detail = imp
		}
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/imports/%d", imp.ID))
	return httpx.WriteJSON(w, http.StatusCreated, httpx.MediaJSON, imp)
}

// readPart stores a file part in dir or reads a form field into req.
func (s *Server) readPart(part *multipart.Part, dir string, seen map[string]bool, req *importers.Request, limit int64) error {
	name := part.FormName()
	if name == "file" || part.FileName() != "" {
		// Only the base name of what the browser sends; nothing can escape dir.
		base := filepath.Base(filepath.Clean("/" + strings.ReplaceAll(part.FileName(), `\`, "/")))
		if base == "/" || base == "." || base == "" {
			return land.Errorf(land.Invalid, "a file part has no file name")
		}
		if seen[strings.ToLower(base)] {
			return land.Errorf(land.Invalid, "the file %q is uploaded twice", base)
		}
		seen[strings.ToLower(base)] = true
		path := filepath.Join(dir, base)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("upload %q: %w", base, err)
		}
		_, err = io.Copy(f, part)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return uploadErr(err, limit)
		}
		req.Files = append(req.Files, path)
		req.Names = append(req.Names, base)
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(part, 64<<10))
	if err != nil {
		return uploadErr(err, limit)
	}
	v := strings.TrimSpace(string(b))
	switch name {
	case "layer":
		req.Layer = v
	case "kind":
		req.Kind = land.Kind(v)
	case "mode":
		req.Mode = v
	case "encoding":
		req.Encoding = v
	case "source_layer":
		req.SourceLayer = v
	case "title":
		req.Title = v
	case "srid":
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return land.Errorf(land.Invalid, "srid=%q: want an EPSG code", v)
		}
		req.SRID = n
	case "as_of":
		if v == "" {
			return nil
		}
		d, err := land.ParseDate("as_of", v)
		if err != nil {
			return err
		}
		req.AsOf = d
	case "sheet", "lon", "lat", "wkt", "geometry_from", "lenient":
		return ledgerField(name, v, &req.Ledger)
	case "repair":
		if _, err := importers.ParseRepairMode(v); err != nil {
			return land.Errorf(land.Invalid, "repair=%q: use off, fast or full", v)
		}
		req.Repair = v
	case "map":
		k, src, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(src) == "" {
			return land.Errorf(land.Invalid, "map=%q: want FIELD=SOURCE", v)
		}
		req.Map[strings.TrimSpace(k)] = strings.TrimSpace(src)
	default:
		return land.Errorf(land.Invalid, "unknown form field %q (allowed: file, layer, kind, mode, as_of, encoding, srid, map, source_layer, title, sheet, lon, lat, wkt, geometry_from, lenient)", name)
	}
	return nil
}

func uploadErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return land.Errorf(land.TooLarge, "the upload exceeds the limit of %d bytes", limit)
	}
	return land.Errorf(land.Invalid, "reading the upload: %v", err)
}

// uploader names who uploaded, for the history: the token holder, seen
// from their address.
func uploader(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if t := tokenOf(r); t != nil && t.ID != 0 {
		return fmt.Sprintf("token %d (%s)@%s", t.ID, t.Name, host)
	}
	return "api@" + host
}
