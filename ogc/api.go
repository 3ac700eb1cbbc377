package ogc

import (
	"net/http"
	"sort"

	"tudi/httpx"
	"tudi/land"
)

// api serves the OpenAPI 3.0 definition. QGIS reads the limit parameter's
// default and maximum from the items path to size its pages, so they are
// declared inline (not only through $ref) and equal what the server
// enforces.
func (s *Service) api(w http.ResponseWriter, r *http.Request) error {
	isHTML, err := formatOnly(r)
	if err != nil {
		return err
	}
	layers, err := s.db.FindLayers(r.Context(), land.LayerFilter{})
	if err != nil {
		return err
	}
	doc := s.openAPI(r, layers)
	if isHTML {
		p := page{Title: "tudi OGC API Features — API", Links: s.selfLinks(r, true, mediaOpenAPI),
			Table: &table{Head: []string{"path", "summary"}}}
		paths := doc["paths"].(map[string]any)
		keys := make([]string, 0, len(paths))
		for k := range paths {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			get := paths[k].(map[string]any)["get"].(map[string]any)
			p.Table.Rows = append(p.Table.Rows, []cell{{Text: k}, {Text: get["summary"].(string)}})
		}
		return renderHTML(w, p)
	}
	return httpx.WriteJSON(w, http.StatusOK, mediaOpenAPI, doc)
}

func (s *Service) openAPI(r *http.Request, layers []*land.Layer) map[string]any {
	str := map[string]any{"type": "string"}
	param := func(name, in, desc string, schema map[string]any, required bool) map[string]any {
		p := map[string]any{"name": name, "in": in, "description": desc, "schema": schema, "required": required}
		if in == "query" {
			p["style"] = "form"
			p["explode"] = false
		}
		return p
	}
	limit := param("limit", "query", "The number of features in one page (at most the maximum; larger values are capped).",
		map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}, false)
	f := param("f", "query", "The representation: json or html.", map[string]any{"type": "string", "enum": []string{"json", "html"}}, false)
	crsParam := param("crs", "query", "The CRS of the response geometries (default CRS84).", map[string]any{"type": "string", "format": "uri", "enum": supportedURIs()}, false)
	props := param("props", "query", "all: add props, every source attribute, to each feature (accepted, and ignored, on the resources without features).",
		map[string]any{"type": "string", "enum": []string{"all"}}, false)
	itemsParameters := func(l *land.Layer) []any {
		ps := []any{
			limit,
			param("bbox", "query", "minx,miny,maxx,maxy in bbox-crs (default CRS84, lon/lat).",
				map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}, false),
			param("bbox-crs", "query", "The CRS of bbox.", map[string]any{"type": "string", "format": "uri", "enum": supportedURIs()}, false),
			crsParam,
			param("datetime", "query", "An instant or interval (ISO 8601, .. for open ends) on the kind's date fields.", str, false),
			param("as_of", "query", "A date (YYYY-MM-DD): the layer's features as they were on that day, from its history (layers imported in history mode).", str, false),
			param("filter", "query", "A CQL2 filter.", str, false),
			param("filter-lang", "query", "cql2-text (default) or cql2-json.", map[string]any{"type": "string", "enum": []string{"cql2-text", "cql2-json"}, "default": "cql2-text"}, false),
			param("filter-crs", "query", "The CRS of geometries in filter.", map[string]any{"type": "string", "format": "uri", "enum": supportedURIs()}, false),
			param("sortby", "query", "Comma-separated properties, - for descending.", str, false),
			param("properties", "query", "Comma-separated properties to return (props for the source attributes).", str, false),
			param("cursor", "query", "The page position; follow the next and prev links.", str, false),
			props,
			f,
		}
		if l != nil {
			for _, p := range newSchema(l, s.db.Spec(l.Kind)).props {
				ps = append(ps, param(p.Name, "query", "Features whose "+p.Name+" equals this value.", jsonSchemaOf(p), false))
			}
		}
		return ps
	}
	collID := param("collectionId", "path", "The layer.", str, true)
	featureID := param("featureId", "path", "The feature id.", map[string]any{"type": "integer"}, true)
	get := func(summary, media string, params []any) map[string]any {
		return map[string]any{"get": map[string]any{
			"summary":    summary,
			"parameters": params,
			"responses": map[string]any{
				"200": map[string]any{"description": summary, "content": map[string]any{media: map[string]any{}, mediaHTML: map[string]any{}}},
				"400": map[string]any{"description": "a bad parameter"},
				"404": map[string]any{"description": "not found"},
			},
		}}
	}
	paths := map[string]any{
		"/":                                 get("the landing page", mediaJSON, []any{f, props}),
		"/api":                              get("this API definition", mediaOpenAPI, []any{f, props}),
		"/conformance":                      get("the conformance classes", mediaJSON, []any{f, props}),
		"/collections":                      get("the layers", mediaJSON, []any{f, props}),
		"/collections/{collectionId}":       get("one layer", mediaJSON, []any{collID, f, props}),
		"/collections/{collectionId}/items": get("the features of a layer", mediaGeoJSON, append([]any{collID}, itemsParameters(nil)...)),
		"/collections/{collectionId}/items/{featureId}": get("one feature", mediaGeoJSON, []any{collID, featureID, crsParam, props, f}),
		"/collections/{collectionId}/queryables":        get("the queryable properties of a layer", mediaSchema, []any{collID, f, props}),
	}
	for _, l := range layers {
		paths["/collections/"+l.Name+"/items"] = get("the features of "+l.Name, mediaGeoJSON, itemsParameters(l))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "tudi OGC API Features",
			"version":     "1.0.0",
			"description": "Land data as OGC API Features (Part 1 core and GeoJSON, Part 2 CRS, Part 3 CQL2 filtering).",
		},
		"servers":    []any{map[string]any{"url": s.base(r)}},
		"paths":      paths,
		"components": map[string]any{"parameters": map[string]any{"limit": limit}},
	}
}
