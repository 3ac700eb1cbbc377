package reports

import (
	"strings"
	"testing"
)

func TestLayerViewsWith(t *testing.T) {
	var v layerViews
	if got := v.with("SELECT 1"); got != "SELECT 1" {
		t.Fatalf("no mappings: %q", got)
	}
	v.add("parcels", "SELECT * FROM layers.\"p2\" t", false)
	v.add("boundary_cells", "SELECT 1 AS cell", true)
	ctes := "\"parcels\" AS NOT MATERIALIZED (\nSELECT * FROM layers.\"p2\" t\n),\n\"boundary_cells\" AS MATERIALIZED (\nSELECT 1 AS cell\n)"
	for _, c := range []struct{ in, want string }{
		{"-- a report\n/* with a comment */\nWITH a AS (SELECT 1)\nSELECT * FROM a, parcels",
			"-- a report\n/* with a comment */\nWITH " + ctes + ",\na AS (SELECT 1)\nSELECT * FROM a, parcels"},
		{"with recursive r AS (SELECT 1) SELECT * FROM r", "with recursive " + ctes + ",\nr AS (SELECT 1) SELECT * FROM r"},
		{"SELECT count(*) FROM parcels", "WITH " + ctes + "\nSELECT count(*) FROM parcels"},
		{"  withdrawn AS x", "  WITH " + ctes + "\nwithdrawn AS x"}, // a word that begins with "with"
	} {
		if got := v.with(c.in); got != c.want {
			t.Errorf("with(%q):\n%s\nwant\n%s", c.in, got, c.want)
		}
	}
}

// Every embedded report's SQL, with its layers mapped, is one statement
// that begins with the mappings.
func TestEmbeddedReportsTakeMappings(t *testing.T) {
	for _, sp := range DefaultCatalog().specs {
		if sp.dynamic {
			continue
		}
		var v layerViews
		v.add("parcels", "SELECT 1", false)
		got := v.with(sp.sql)
		if !strings.HasPrefix(got[statementStart(got):], "WITH \"parcels\" AS NOT MATERIALIZED") {
			t.Errorf("%s: the mappings are not the first expressions: %.200q", sp.Name, got[statementStart(got):])
		}
	}
	q, err := cellsQuery()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(q, "WITH chosen AS") || strings.Contains(q, "ANALYZE") || strings.HasSuffix(q, ";") {
		t.Fatalf("the query of boundary-cells.sql: %.80q … %q", q, q[max(0, len(q)-40):])
	}
}
