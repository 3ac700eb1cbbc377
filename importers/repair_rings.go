package importers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"strconv"
	"strings"
)

// bigPartPoints is the size from which an invalid polygon of a feature is
// repaired ring by ring (partsExpr) rather than with ST_MakeValid.
const bigPartPoints = 10_000

// ringsSQL repairs the polygonal feature in the column geom as
// ST_MakeValid's linework method does (the even-odd rule over all its
// rings: what lies inside an odd number of rings is in), in time bounded
// by the size of what is wrong with it rather than by its size, and
// returns NULL when it cannot show the result valid.
//
// ST_MakeValid on a country of a million vertices and two hundred
// thousand lakes takes hours in GEOS 3.11: it places every lake with a
// linear scan of the shell, and so does ST_IsValid on the result. Here
// the valid parts are kept as they are and small invalid ones repaired
// with ST_MakeValid; an invalid polygon of bigPartPoints vertices or more
// is taken apart into its rings:
//
//   - its shell is made valid on its own (the even-odd area of its noded
//     ring, as linework makes it), and the other parts of the feature
//     that touch that area, and the parts touching those, are taken in
//     with their rings (overlapping parts, an island drawn on the land);
//   - a hole is clean when it is a simple ring that touches no other ring
//     of the polygon, nor the shell (a cluster of distance 0 over the
//     holes and the shell cut into pieces of 256 vertices, found with an
//     index), and lies inside the shell's area (one point in polygon,
//     with PostGIS's cached index);
//   - the rest, the few rings that touch or cross something, is repaired
//     with ST_MakeValid, each group of rings that touch one another
//     together, and taken out of (or added to) the shell's area by one
//     overlay, which is cheap without the clean holes;
//   - the clean holes are put back as holes of the polygon of that result
//     they lie in (point in polygon again);
//   - a hole drawn outside its own shell but inside another large part's
//     shell (a lake of the mainland that the file gives to an island, as
//     the 2 409 lakes of Quebec that a public country file gives to Baffin
//     Island) is taken as a ring of that part before all the above: by the
//     even-odd rule it is that part's lake, and kept with its own part it
//     would come out as land overlapping it.
//
// Small parts that touch or overlap one another are repaired together
// (ST_MakeValid on the group). The polygon so built is valid by
// construction (its holes lie inside it and touch nothing); the whole is
// checked with ST_IsValid on a stand-in that keeps only the holes in which
// another part of the feature begins (islands in lakes): a hole that holds
// no other part changes nothing in how the parts lie to one another, and
// GEOS 3.11 checks a polygon's holes with a linear scan each.
// ringStep is one named step of the ring-by-ring repair: a common table
// expression of ringsSQL, or a temporary table of ringsTemp. Its SQL takes
// bigPartPoints as %[1]d and the source of the feature's parts as %[2]s.
type ringStep struct{ name, sql string }

// ringSteps are the steps of the ring-by-ring repair, in order.
var ringSteps = []ringStep{
	// A polygon's ST_Dump path is empty: its one part is numbered 1.
	{"parts", `SELECT coalesce((d).path[1], 1) AS pn, (d).geom AS g, (ST_IsValidDetail((d).geom)).valid AS ok, ST_NPoints((d).geom) AS n FROM %[2]s`},
	{"big", `SELECT pn, g, CASE WHEN (ST_IsValidDetail(s)).valid THEN s ELSE ST_CollectionExtract(ST_BuildArea(ST_Node(ST_ExteriorRing(s))), 3) END AS a
		FROM (SELECT pn, g, ST_MakePolygon(ST_ExteriorRing(g)) AS s FROM parts WHERE NOT ok AND n >= %[1]d) AS x`},
	{"hit", `SELECT DISTINCT ON (q.pn) b.pn, q.pn AS qn FROM big AS b CROSS JOIN LATERAL (SELECT q.pn FROM parts AS q
		WHERE q.pn <> b.pn AND q.n < %[1]d AND q.g && b.a AND ST_Intersects(b.a, q.g)) AS q ORDER BY q.pn, b.pn`},
	{"fixed", `SELECT pn, g, ok, n, CASE WHEN ok THEN g ELSE ST_CollectionExtract(ST_MakeValid(g), 3) END AS v FROM parts AS p
		WHERE NOT EXISTS (SELECT FROM big WHERE big.pn = p.pn)`},
	{"sc", `SELECT pn, g, v, n, CASE WHEN n < %[1]d THEN ST_ClusterDBSCAN(v, 0, 2) OVER (PARTITION BY n < %[1]d) END AS c FROM fixed`},
	{"others", `SELECT DISTINCT ON (qn) pn, qn, g FROM (SELECT h.pn, s.pn AS qn, s.g FROM hit AS h JOIN sc AS s ON s.pn = h.qn
		UNION ALL SELECT h.pn, s.pn, s.g FROM hit AS h JOIN sc AS s0 ON s0.pn = h.qn JOIN sc AS s ON s.c = s0.c) AS x ORDER BY qn, pn`},
	{"alone", `SELECT * FROM sc WHERE NOT EXISTS (SELECT FROM others AS o WHERE o.qn = sc.pn)`},
	{"small", `SELECT v AS g FROM alone WHERE c IS NULL
		UNION ALL SELECT ST_CollectionExtract(ST_MakeValid(ST_Collect(g)), 3) FROM alone WHERE c IS NOT NULL GROUP BY c`},
	// inside: the ring begins in its large part's repaired shell.
	{"rings0", `SELECT x.pn, x.rn, x.rg, x.simple, ST_Intersects(b.a, ST_PointN(ST_ExteriorRing(x.rg), 1)) AS inside FROM (
		SELECT b.pn, (r).path[1] AS rn, (r).geom AS rg, (ST_IsValidDetail((r).geom)).valid AS simple FROM big AS b, ST_DumpRings(b.g) AS r WHERE (r).path[1] > 0
		UNION ALL SELECT o.pn, -1 - row_number() OVER (), (r).geom, (ST_IsValidDetail((r).geom)).valid FROM others AS o, ST_DumpRings(o.g) AS r) AS x JOIN big AS b USING (pn)`},
	{"stray", `SELECT r.pn, r.rn, o.pn AS tn FROM rings0 AS r CROSS JOIN LATERAL (SELECT o.pn FROM big AS o
		WHERE o.pn <> r.pn AND o.a && r.rg AND ST_Intersects(o.a, ST_PointN(ST_ExteriorRing(r.rg), 1)) ORDER BY o.pn LIMIT 1) AS o
		WHERE r.rn > 0 AND NOT r.inside`},
	{"rings", `SELECT coalesce(s.tn, r.pn) AS pn, CASE WHEN s.tn IS NULL THEN r.rn ELSE -((r.pn::bigint + 1) << 32) - r.rn END AS rn, r.rg, r.simple,
		r.inside OR s.tn IS NOT NULL AS inside FROM rings0 AS r LEFT JOIN stray AS s USING (pn, rn)`},
	{"near", `SELECT pn, rn, ST_ClusterDBSCAN(g, 0, 2) OVER (PARTITION BY pn) AS c FROM (
		SELECT pn, rn, CASE WHEN simple THEN rg ELSE ST_MakeValid(rg) END AS g FROM rings UNION ALL SELECT pn, 0, ST_Subdivide(ST_ExteriorRing(g), 256) FROM big) AS x`},
	{"clean", `SELECT r.pn, r.rn, r.rg FROM rings AS r JOIN near AS n USING (pn, rn) WHERE n.c IS NULL AND r.simple AND r.inside`},
	{"touching", `SELECT r.pn, r.rg, ST_ClusterDBSCAN(r.rg, 0, 1) OVER (PARTITION BY r.pn) AS c FROM rings AS r
		WHERE NOT EXISTS (SELECT FROM clean AS c WHERE c.pn = r.pn AND c.rn = r.rn)`},
	{"rest", `SELECT pn, ST_Collect((d).geom) AS g FROM (SELECT pn, ST_Dump(ST_CollectionExtract(ST_MakeValid(ST_Collect(rg)), 3)) AS d
		FROM touching GROUP BY pn, c) AS x GROUP BY pn`},
	{"outers", `SELECT pn, row_number() OVER () AS o, (d).geom AS g FROM (SELECT b.pn, ST_Dump(CASE WHEN r.g IS NULL THEN b.a WHEN b.a IS NULL THEN r.g
		ELSE ST_CollectionExtract(ST_SymDifference(b.a, r.g), 3) END) AS d FROM big AS b LEFT JOIN rest AS r USING (pn)) AS x`},
	{"main", `SELECT DISTINCT ON (pn) pn, o, g FROM outers ORDER BY pn, ST_NPoints(g) DESC`},
	{"placed1", `SELECT m.pn, m.o, c.rn, c.rg FROM clean AS c JOIN main AS m USING (pn) WHERE c.rg && m.g AND ST_Intersects(m.g, ST_PointN(ST_ExteriorRing(c.rg), 1))`},
	{"unplaced", `SELECT c.pn, c.rn, c.rg FROM clean AS c WHERE NOT EXISTS (SELECT FROM placed1 AS p WHERE p.pn = c.pn AND p.rn = c.rn)`},
	{"placed", `SELECT pn, o, rg FROM placed1 UNION ALL SELECT o.pn, o.o, c.rg FROM outers AS o CROSS JOIN LATERAL (SELECT c.rg FROM unplaced AS c
		WHERE c.pn = o.pn AND c.rg && o.g AND ST_Intersects(o.g, ST_PointN(ST_ExteriorRing(c.rg), 1))) AS c WHERE NOT EXISTS (SELECT FROM main WHERE main.o = o.o)`},
	{"pts", `SELECT ST_PointN(ST_ExteriorRing((d).geom), 1) AS g FROM small, ST_Dump(small.g) AS d UNION ALL SELECT ST_PointN(ST_ExteriorRing(g), 1) FROM outers`},
	{"own", `SELECT o.o, (r).geom AS rg FROM outers AS o, ST_DumpRings(o.g) AS r WHERE (r).path[1] > 0`},
	{"clustered", `SELECT o, rg, ST_ClusterDBSCAN(rg, 0, 2) OVER () AS c FROM (SELECT o, rg FROM placed UNION ALL SELECT o, rg FROM own
		UNION ALL SELECT NULL, g FROM pts) AS x`},
	{"relevant", `SELECT o, rg FROM clustered WHERE o IS NOT NULL AND c IN (SELECT c FROM clustered WHERE o IS NULL)`},
	{"holes", `SELECT o, array_agg(ST_ExteriorRing(rg)) AS h FROM (SELECT o, rg FROM placed UNION ALL SELECT o, rg FROM own) AS x GROUP BY o`},
	{"kept", `SELECT o, array_agg(ST_ExteriorRing(rg)) AS h FROM relevant GROUP BY o`},
	{"built", `SELECT ST_MakePolygon(ST_ExteriorRing(o.g), coalesce(h.h, '{}')) AS g, ST_MakePolygon(ST_ExteriorRing(o.g), coalesce(k.h, '{}')) AS proxy
		FROM outers AS o LEFT JOIN holes AS h USING (o) LEFT JOIN kept AS k USING (o)`},
}

// ringsFinal is the result of ringSteps: NULL when it cannot be shown valid.
const ringsFinal = `CASE WHEN (SELECT count(*) FROM placed) = (SELECT count(*) FROM clean)
		AND (ST_IsValidDetail((SELECT ST_Collect(g) FROM (SELECT (ST_Dump(g)).geom AS g FROM small UNION ALL SELECT proxy FROM built) AS x))).valid
		THEN (SELECT ST_Collect(g) FROM (SELECT (ST_Dump(g)).geom AS g FROM small UNION ALL SELECT g FROM built) AS x) END`

// ringSQL is a step's SQL with bigPartPoints and the source of the parts.
func ringSQL(sql, src string) string {
	return strings.NewReplacer("%[1]d", strconv.Itoa(bigPartPoints), "%[2]s", src).Replace(sql)
}

// ringsSQL is the ring-by-ring repair as one expression over the column
// geom: ringSteps as common table expressions.
var ringsSQL = func() string {
	var b strings.Builder
	b.WriteString("(WITH ")
	for i, st := range ringSteps {
		if i > 0 {
			b.WriteString(",\n\t\t\t")
		}
		b.WriteString(st.name + " AS (" + ringSQL(st.sql, "ST_Dump(geom) AS d") + ")")
	}
	b.WriteString("\n\t\t\tSELECT " + ringsFinal + ")")
	return b.String()
}()

// ringIndexed are the steps whose table is searched by bounding box in a
// later step (hit, placed1, placed): they get a GiST index.
var ringIndexed = map[string]string{"parts": "g", "clean": "rg", "unplaced": "rg"}

// ringsTemp is the ring-by-ring repair of one feature (the EWKB in $1 of
// the first statement) as a sequence of statements in one transaction:
// ringSteps as temporary tables dropped at commit, the ones searched by
// bounding box indexed, all analysed. In one statement PostgreSQL plans
// the steps without statistics, evaluates some expensive expressions
// more than once and joins large steps by nested loops; on a country of a
// million vertices that is minutes instead of seconds. The last statement
// returns the result (ST_AsEWKB, ST_IsEmpty, GeometryType), no row when it
// cannot be shown valid.
func ringsTemp() []string {
	out := []string{
		`CREATE TEMP TABLE ring_src (geom geometry) ON COMMIT DROP`,
		`INSERT INTO ring_src SELECT ST_GeomFromEWKB($1)`,
	}
	for _, st := range ringSteps {
		out = append(out, `CREATE TEMP TABLE `+st.name+` ON COMMIT DROP AS `+ringSQL(st.sql, "ring_src AS src, ST_Dump(src.geom) AS d"))
		if col, ok := ringIndexed[st.name]; ok {
			out = append(out, `CREATE INDEX ON `+st.name+` USING gist (`+col+`)`)
		}
		out = append(out, `ANALYZE `+st.name)
	}
	return append(out, `SELECT ST_AsEWKB(r), ST_IsEmpty(r), GeometryType(r) FROM (SELECT `+ringsFinal+` AS r) AS x WHERE r IS NOT NULL`)
}

// ringsPolygonal tells whether an EWKB geometry is a polygon or a
// multipolygon, which ringsTemp repairs.
func ringsPolygonal(ewkb []byte) bool {
	if len(ewkb) < 5 {
		return false
	}
	var t uint32
	if ewkb[0] == 1 {
		t = binary.LittleEndian.Uint32(ewkb[1:5])
	} else {
		t = binary.BigEndian.Uint32(ewkb[1:5])
	}
	t &= 0x0fffffff
	return t == 3 || t == 6
}

// partsExpr is the parts method (repairExpr): ringsSQL for polygons and
// multipolygons, ST_MakeValid on the invalid parts of other geometries
// of dimension 2 (collections), checked; ST_MakeValid on the others.
// NULL when the result is not valid.
func partsExpr() string {
	return `CASE WHEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') THEN ` + ringsSQL + `
			WHEN ST_Dimension(geom) = 2 THEN (SELECT CASE WHEN ST_IsValid(x) THEN x END FROM (SELECT (SELECT ST_CollectionExtract(ST_Collect(CASE WHEN ST_IsValid(d.geom) THEN d.geom ELSE ST_MakeValid(d.geom) END), 3) FROM ST_Dump(geom) AS d) AS x) AS y)
			ELSE ST_MakeValid(geom) END`
}

// stepRings repairs one large polygonal feature with the parts method as
// ringsTemp does, on the worker's connection c within qctx (the budget).
// ok is false when the result could not be shown valid. Like step it
// sends nothing to the backend when over budget: the client stops
// waiting and closes the connection, which drops the temporary tables.
func stepRings(ctx, qctx context.Context, c *pgx.Conn, b invalid) (g []byte, r repaired, ok bool, err error) {
	tx, err := c.Begin(qctx)
	if err != nil {
		return nil, r, false, err
	}
	defer func() {
		if err != nil && !c.IsClosed() {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	stmts := ringsTemp()
	for i, q := range stmts[:len(stmts)-1] {
		args := []any{pgx.QueryExecModeSimpleProtocol}
		if i == 1 {
			args = []any{b.ewkb}
		}
		if _, err = tx.Exec(qctx, q, args...); err != nil {
			return nil, r, false, fmt.Errorf("ring repair, %s: %w", strings.Fields(q)[3], err)
		}
	}
	err = tx.QueryRow(qctx, stmts[len(stmts)-1]).Scan(&g, &r.empty, &r.typ)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
	} else if err != nil {
		return nil, r, false, fmt.Errorf("ring repair: %w", err)
	} else {
		ok = true
	}
	if err = tx.Commit(qctx); err != nil {
		return nil, r, false, err
	}
	return g, r, ok, nil
}
