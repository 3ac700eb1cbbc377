package ogc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb/geojson"
)

// parseCQL2JSON parses a CQL2-JSON filter into the same tree as the text
// encoding.
func parseCQL2JSON(s string) (node, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return jsonNode(v, 0)
}

func jsonNode(v any, depth int) (node, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("filter nested deeper than %d levels", maxFilterDepth)
	}
	switch v := v.(type) {
	case nil:
		return nil, fmt.Errorf("null is not a CQL2 expression")
	case string:
		return &strNode{v}, nil
	case bool:
		return &boolNode{v}, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("bad number %s", v)
		}
		return &numNode{f}, nil
	case []any:
		items := make([]node, 0, len(v))
		for _, it := range v {
			n, err := jsonNode(it, depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, n)
		}
		return &listNode{items}, nil
	case map[string]any:
		return jsonObject(v, depth)
	}
	return nil, fmt.Errorf("unexpected JSON value %v", v)
}

func jsonObject(m map[string]any, depth int) (node, error) {
	switch {
	case m["op"] != nil:
		op, ok := m["op"].(string)
		if !ok {
			return nil, fmt.Errorf(`"op" must be a string`)
		}
		raw, ok := m["args"].([]any)
		if !ok {
			return nil, fmt.Errorf(`operator %q needs an "args" array`, op)
		}
		args := make([]node, 0, len(raw))
		for _, a := range raw {
			n, err := jsonNode(a, depth+1)
			if err != nil {
				return nil, err
			}
			args = append(args, n)
		}
		op = strings.ToLower(op)
		if op == "isnull" {
			op = "isNull"
		}
		return &opNode{op, args}, nil
	case m["property"] != nil:
		name, ok := m["property"].(string)
		if !ok {
			return nil, fmt.Errorf(`"property" must be a string`)
		}
		return &propNode{name}, nil
	case m["date"] != nil:
		s, ok := m["date"].(string)
		if !ok {
			return nil, fmt.Errorf(`"date" must be a string`)
		}
		return &timeNode{V: s, Date: true}, nil
	case m["timestamp"] != nil:
		s, ok := m["timestamp"].(string)
		if !ok {
			return nil, fmt.Errorf(`"timestamp" must be a string`)
		}
		return &timeNode{V: s}, nil
	case m["interval"] != nil:
		a, ok := m["interval"].([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf(`"interval" must be an array of two values`)
		}
		ends := make([]node, 2)
		for i, e := range a {
			if s, ok := e.(string); ok {
				if s == ".." {
					ends[i] = &timeNode{Open: true}
				} else {
					ends[i] = &timeNode{V: s, Date: len(s) == 10}
				}
				continue
			}
			n, err := jsonNode(e, depth+1)
			if err != nil {
				return nil, err
			}
			ends[i] = n
		}
		return &intervalNode{ends[0], ends[1]}, nil
	case m["bbox"] != nil:
		a, ok := m["bbox"].([]any)
		if !ok {
			return nil, fmt.Errorf(`"bbox" must be an array of numbers`)
		}
		v := make([]float64, 0, len(a))
		for _, x := range a {
			n, ok := x.(json.Number)
			if !ok {
				return nil, fmt.Errorf(`"bbox" must be an array of numbers`)
			}
			f, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("bad number %s in bbox", n)
			}
			v = append(v, f)
		}
		return bboxNode(v)
	case m["type"] != nil:
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		g, err := geojson.UnmarshalGeometry(bytes.TrimSpace(b))
		if err != nil {
			return nil, fmt.Errorf("bad GeoJSON geometry: %v", err)
		}
		return &geomNode{g.Geometry()}, nil
	}
	return nil, fmt.Errorf("unknown JSON object (expected op, property, date, timestamp, interval, bbox or a GeoJSON geometry)")
}
