package ogc

import (
	"context"
	"fmt"
	"net/http"

	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// conformanceClasses lists what tudi implements and tests; QGIS pushes CQL2
// filters down only when the filter classes are listed here.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
	"http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/properties",
}

func (s *Service) landing(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	b := s.base(r)
	links := append(s.selfLinks(r, isHTML, mediaJSON),
		link{Href: b + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition (OpenAPI 3.0)"},
		link{Href: b + "/api?f=html", Rel: "service-doc", Type: mediaHTML, Title: "the API documentation"},
		link{Href: b + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
		link{Href: b + "/conformance", Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: mediaJSON, Title: "conformance classes"},
		link{Href: b + "/collections", Rel: "data", Type: mediaJSON, Title: "the layers"},
		link{Href: b + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: mediaJSON, Title: "the layers"},
	)
	doc := map[string]any{
		"title":       "tudi 土地",
		"description": "Land data of the district: parcels, permanent basic farmland, urban-renewal units, idle land and boundaries, as OGC API Features.",
		"links":       links,
	}
	if isHTML {
		return renderHTML(w, page{Title: "tudi 土地 — OGC API Features", Intro: doc["description"].(string), Links: links})
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaJSON, doc)
}

func (s *Service) conformance(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	links := s.selfLinks(r, isHTML, mediaJSON)
	if isHTML {
		p := page{Title: "Conformance", Links: links, Table: &table{Head: []string{"conformance class"}}}
		for _, c := range conformanceClasses {
			p.Table.Rows = append(p.Table.Rows, []cell{{Text: c}})
		}
		return renderHTML(w, p)
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaJSON, map[string]any{"conformsTo": conformanceClasses, "links": links})
}

// collectionDoc is the description of one collection.
func (s *Service) collectionDoc(ctx context.Context, r *http.Request, l *land.Layer) (map[string]any, error) {
	b := s.base(r) + "/collections/" + pathEscape(l.Name)
	spec := s.db.Spec(l.Kind)
	zh, en := spec.Title, spec.TitleEN
	title := l.Title
	if title == "" {
		title = zh + " " + l.Name
	}
	doc := map[string]any{
		"id":          l.Name,
		"title":       title,
		"description": fmt.Sprintf("%s (%s), kind %s: %d features", zh, en, l.Kind, l.FeatureCount),
		"itemType":    "feature",
		"crs":         supportedURIs(),
		"storageCrs":  uriEPSG + "4490",
		"links": []link{
			{Href: b, Rel: "self", Type: mediaJSON, Title: title},
			{Href: b + "?f=html", Rel: "alternate", Type: mediaHTML, Title: title},
			{Href: b + "/items", Rel: "items", Type: mediaGeoJSON, Title: title + " (GeoJSON)"},
			{Href: b + "/items?f=html", Rel: "items", Type: mediaHTML, Title: title + " (HTML)"},
			{Href: b + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchema, Title: "queryable properties"},
		},
	}
	extent := map[string]any{}
	if bb := l.BBox(); bb != nil {
		extent["spatial"] = map[string]any{"bbox": [][]float64{bb}, "crs": uriCRS84}
	}
	te, err := s.temporalExtent(ctx, l)
	if err != nil {
		return nil, err
	}
	if te.ok {
		extent["temporal"] = map[string]any{"interval": [][]*string{{te.start, te.end}}, "trs": uriTRS8601}
	}
	if len(extent) > 0 {
		doc["extent"] = extent
	}
	return doc, nil
}

// temporalExtent returns the date range of a layer's kind's date fields,
// cached per registry version (computing it reads the whole table).
func (s *Service) temporalExtent(ctx context.Context, l *land.Layer) (temporalExtent, error) {
	sc := newSchema(l, s.db.Spec(l.Kind))
	if len(sc.dates) == 0 {
		return temporalExtent{}, nil
	}
	s.mu.Lock()
	te, ok := s.temporal[l.Name]
	s.mu.Unlock()
	if ok && te.version == l.Version {
		return te, nil
	}
	vals := make([]*string, 2*len(sc.dates))
	ptrs := make([]any, len(vals))
	sel := "SELECT "
	for i, d := range sc.dates {
		if i > 0 {
			sel += ", "
		}
		sel += fmt.Sprintf("min(%[1]s)::text, max(%[1]s)::text", d.Col)
	}
	q := sel + " FROM " + postgis.Table(l.Name) + " t"
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := s.db.Reader(l.Name).QueryRow(ctx, q).Scan(ptrs...); err != nil {
		return temporalExtent{}, fmt.Errorf("temporal extent of layer %q: %w", l.Name, postgis.Err(err))
	}
	te = temporalExtent{version: l.Version, ok: true}
	for i := 0; i < len(vals); i += 2 {
		if vals[i] != nil && (te.start == nil || *vals[i] < *te.start) {
			te.start = vals[i]
		}
		if vals[i+1] != nil && (te.end == nil || *vals[i+1] > *te.end) {
			te.end = vals[i+1]
		}
	}
	if te.start == nil && te.end == nil {
		te.ok = false // no feature has a date
	}
	s.mu.Lock()
	s.temporal[l.Name] = te
	s.mu.Unlock()
	return te, nil
}

func (s *Service) collections(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	layers, err := s.db.FindLayers(r.Context(), land.LayerFilter{})
	if err != nil {
		return err
	}
	links := s.selfLinks(r, isHTML, mediaJSON)
	docs := []map[string]any{}
	for _, l := range layers {
		d, err := s.collectionDoc(r.Context(), r, l)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	if isHTML {
		p := page{Title: "Collections", Links: links, Table: &table{Head: []string{"collection", "title", "kind", "features", "extent (CRS84)"}}}
		for i, l := range layers {
			p.Table.Rows = append(p.Table.Rows, []cell{
				{Text: l.Name, Href: s.base(r) + "/collections/" + pathEscape(l.Name) + "?f=html"},
				{Text: docs[i]["title"].(string)}, {Text: string(l.Kind)}, {Text: fmt.Sprint(l.FeatureCount)},
				{Text: fmt.Sprint(l.BBox())},
			})
		}
		return renderHTML(w, p)
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaJSON, map[string]any{"collections": docs, "links": links})
}

func (s *Service) collection(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	l, err := s.layer(r.Context(), r)
	if err != nil {
		return err
	}
	doc, err := s.collectionDoc(r.Context(), r, l)
	if err != nil {
		return err
	}
	if isHTML {
		p := page{Title: doc["title"].(string), Intro: doc["description"].(string), Links: doc["links"].([]link),
			Table: &table{Head: []string{"", ""}}}
		p.Table.Rows = [][]cell{
			{{Text: "id"}, {Text: l.Name}},
			{{Text: "kind"}, {Text: string(l.Kind)}},
			{{Text: "features"}, {Text: fmt.Sprint(l.FeatureCount)}},
			{{Text: "extent (CRS84)"}, {Text: fmt.Sprint(l.BBox())}},
			{{Text: "storage CRS"}, {Text: uriEPSG + "4490"}},
		}
		return renderHTML(w, p)
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaJSON, doc)
}

func (s *Service) queryables(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	l, err := s.layer(r.Context(), r)
	if err != nil {
		return err
	}
	sc := newSchema(l, s.db.Spec(l.Kind))
	b := s.base(r) + "/collections/" + pathEscape(l.Name)
	props := map[string]any{
		"id":       map[string]any{"title": "id", "type": "integer"},
		"geometry": map[string]any{"title": "geometry", "format": "geometry-any", "x-ogc-role": "primary-geometry"},
	}
	for _, p := range sc.props {
		props[p.Name] = jsonSchemaOf(p)
	}
	if isHTML {
		pg := page{Title: "Queryables of " + l.Name, Links: s.selfLinks(r, true, mediaSchema), Table: &table{Head: []string{"name", "type", "title"}}}
		pg.Table.Rows = append(pg.Table.Rows, []cell{{Text: "id"}, {Text: "integer"}, {Text: "id"}}, []cell{{Text: "geometry"}, {Text: "geometry"}, {Text: "geometry"}})
		for _, p := range sc.props {
			pg.Table.Rows = append(pg.Table.Rows, []cell{{Text: p.Name}, {Text: string(p.Type)}, {Text: p.Title}})
		}
		return renderHTML(w, pg)
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaSchema, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  b + "/queryables",
		"type":                 "object",
		"title":                l.Name,
		"properties":           props,
		"additionalProperties": false,
	})
}

// jsonSchemaOf describes a property as JSON Schema.
func jsonSchemaOf(p property) map[string]any {
	m := map[string]any{"title": p.Title}
	switch p.Type {
	case land.Int:
		m["type"] = "integer"
	case land.Float:
		m["type"] = "number"
	case land.Bool:
		m["type"] = "boolean"
	case land.Date:
		m["type"] = "string"
		m["format"] = "date"
	default:
		m["type"] = "string"
	}
	return m
}
