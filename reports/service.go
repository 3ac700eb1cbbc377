package reports

import (
	"bytes"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"tudi/land"
	"tudi/postgis"
)

// Service runs reports for the CLI and the HTTP API.
type Service struct {
	db       *postgis.DB
	log      *slog.Logger
	specs    []*spec
	kinds    *land.Catalog
	holidays *land.Holidays
}

// New returns the report service running the embedded reports.
func New(db *postgis.DB, log *slog.Logger) *Service {
	return NewWithCatalog(db, log, DefaultCatalog())
}

// NewWithCatalog returns the report service running the reports of cat.
func NewWithCatalog(db *postgis.DB, log *slog.Logger, cat *Catalog) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, log: log, specs: cat.specs, kinds: cat.kindCatalog(), holidays: cat.holidayCalendar()}
}

// Mount registers /api/reports routes on r; wrap adapts error-returning handlers.
//
//	GET /api/reports         the reports, their parameters and groupings, the sub-districts
//	GET /api/reports/{name}  ?format=json|csv|xlsx|table&group=a,b&year=Y&from=D&to=D&as_of=D&street=A,B&layer.KIND=NAME
//	GET /api/targets         ?year=Y&report=NAME: the yearly targets
func (s *Service) Mount(r chi.Router, wrap func(func(http.ResponseWriter, *http.Request) error) http.HandlerFunc) {
	r.Get("/api/reports", wrap(s.list))
	r.Get("/api/reports/{name}", wrap(s.report))
	r.Get("/api/targets", wrap(s.targets))
}

// targets answers GET /api/targets: {"targets": […]}.
func (s *Service) targets(w http.ResponseWriter, r *http.Request) error {
	var f TargetFilter
	for key, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "year":
			y, err := ParseYear(v)
			if err != nil {
				return err
			}
			f.Year = y
		case "report":
			if v != "" {
				if _, err := s.find(v); err != nil {
					return err
				}
			}
			f.Report = v
		default:
			return land.Errorf(land.Invalid, "unknown parameter %q (allowed: year, report)", key)
		}
	}
	ts, err := s.Targets(r.Context(), f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteTargets(&buf, ts); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType(FormatJSON))
	_, err = w.Write(buf.Bytes())
	return err
}

// list answers GET /api/reports, with the sub-districts of the default
// boundaries layer (none when it does not exist).
func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	l := s.List()
	var err error
	if l.Streets, err = s.Streets(r.Context(), "boundaries"); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteList(&buf, l); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType(FormatJSON))
	_, err = w.Write(buf.Bytes())
	return err
}

// report answers GET /api/reports/{name}.
func (s *Service) report(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	opt := Options{Layers: map[string]string{}}
	format := FormatJSON
	for key, vals := range q {
		v := vals[len(vals)-1]
		switch {
		case key == "format":
			format = v
		case key == "group":
			opt.Group = ParseGroup(v)
		case key == "year":
			y, err := ParseYear(v)
			if err != nil {
				return err
			}
			opt.Year = y
		case key == "from" || key == "to" || key == "as_of":
			d, err := ParseDate(key, v)
			if err != nil {
				return err
			}
			switch key {
			case "from":
				opt.From = d
			case "to":
				opt.To = d
			default:
				opt.AsOf = d
			}
		case key == "street":
			opt.Street = ParseStreets(v)
		case strings.HasPrefix(key, "layer."):
			if err := ParseLayer(opt.Layers, strings.TrimPrefix(key, "layer.")+"="+v); err != nil {
				return err
			}
		case key == "of" || key == "sum" || key == "date": // layer-summary
			setSummary(&opt.Summary, key, v)
		case slices.Contains(s.OptionNames(chi.URLParam(r, "name")), key):
			if opt.Params == nil {
				opt.Params = map[string]string{}
			}
			opt.Params[key] = v
		default:
			allowed := append([]string{"format", "group", "year", "from", "to", "as_of", "street", "layer.KIND", "of, sum, date (layer-summary)"}, s.OptionNames(chi.URLParam(r, "name"))...)
			return land.Errorf(land.Invalid, "unknown parameter %q (allowed: %s)", key, strings.Join(allowed, ", "))
		}
	}
	if err := CheckFormat(format); err != nil {
		return err
	}
	res, err := s.Run(r.Context(), chi.URLParam(r, "name"), opt)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := Write(&buf, res, format); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType(format))
	if format == FormatCSV || format == FormatXLSX {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": FileName(res, format)}))
	}
	_, err = w.Write(buf.Bytes())
	return err
}
