package importers

import (
	"fmt"
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
//     they lie in (point in polygon again).
//
// Small parts that touch or overlap one another are repaired together
// (ST_MakeValid on the group). The polygon so built is valid by
// construction (its holes lie inside it and touch nothing); the whole is
// checked with ST_IsValid on a stand-in that keeps only the holes in which
// another part of the feature begins (islands in lakes): a hole that holds
// no other part changes nothing in how the parts lie to one another, and
// GEOS 3.11 checks a polygon's holes with a linear scan each.
var ringsSQL = strings.ReplaceAll(fmt.Sprintf(`(WITH parts AS (SELECT (d).path[1] AS pn, (d).geom AS g, (ST_IsValidDetail((d).geom)).valid AS ok, ST_NPoints((d).geom) AS n FROM ST_Dump(geom) AS d),
	big AS (SELECT pn, g, CASE WHEN (ST_IsValidDetail(s)).valid THEN s ELSE ST_CollectionExtract(ST_BuildArea(ST_Node(ST_ExteriorRing(s))), 3) END AS a
		FROM (SELECT pn, g, ST_MakePolygon(ST_ExteriorRing(g)) AS s FROM parts WHERE NOT ok AND n >= %[1]d) AS x),
	hit AS (SELECT DISTINCT ON (q.pn) b.pn, q.pn AS qn FROM big AS b CROSS JOIN LATERAL (SELECT q.pn FROM parts AS q
		WHERE q.pn <> b.pn AND q.n < %[1]d AND q.g && b.a AND ST_Intersects(b.a, q.g)) AS q ORDER BY q.pn, b.pn),
	fixed AS (SELECT pn, g, ok, n, CASE WHEN ok THEN g ELSE ST_CollectionExtract(ST_MakeValid(g), 3) END AS v FROM parts AS p
		WHERE NOT EXISTS (SELECT FROM big WHERE big.pn = p.pn)),
	sc AS (SELECT pn, g, v, n, CASE WHEN n < %[1]d THEN ST_ClusterDBSCAN(v, 0, 2) OVER (PARTITION BY n < %[1]d) END AS c FROM fixed),
	others AS (SELECT DISTINCT ON (qn) pn, qn, g FROM (SELECT h.pn, s.pn AS qn, s.g FROM hit AS h JOIN sc AS s ON s.pn = h.qn
		UNION ALL SELECT h.pn, s.pn, s.g FROM hit AS h JOIN sc AS s0 ON s0.pn = h.qn JOIN sc AS s ON s.c = s0.c) AS x ORDER BY qn, pn),
	alone AS (SELECT * FROM sc WHERE NOT EXISTS (SELECT FROM others AS o WHERE o.qn = sc.pn)),
	small AS (SELECT v AS g FROM alone WHERE c IS NULL
		UNION ALL SELECT ST_CollectionExtract(ST_MakeValid(ST_Collect(g)), 3) FROM alone WHERE c IS NOT NULL GROUP BY c),
	rings AS (SELECT b.pn, (r).path[1] AS rn, (r).geom AS rg, (ST_IsValidDetail((r).geom)).valid AS simple FROM big AS b, ST_DumpRings(b.g) AS r WHERE (r).path[1] > 0
		UNION ALL SELECT o.pn, -1 - row_number() OVER (), (r).geom, (ST_IsValidDetail((r).geom)).valid FROM others AS o, ST_DumpRings(o.g) AS r),
	near AS (SELECT pn, rn, ST_ClusterDBSCAN(g, 0, 2) OVER (PARTITION BY pn) AS c FROM (
		SELECT pn, rn, CASE WHEN simple THEN rg ELSE ST_MakeValid(rg) END AS g FROM rings UNION ALL SELECT pn, 0, ST_Subdivide(ST_ExteriorRing(g), 256) FROM big) AS x),
	clean AS (SELECT r.pn, r.rn, r.rg FROM rings AS r JOIN near AS n USING (pn, rn) JOIN big AS b USING (pn)
		WHERE n.c IS NULL AND r.simple AND ST_Intersects(b.a, ST_PointN(ST_ExteriorRing(r.rg), 1))),
	touching AS (SELECT r.pn, r.rg, ST_ClusterDBSCAN(r.rg, 0, 1) OVER (PARTITION BY r.pn) AS c FROM rings AS r
		WHERE NOT EXISTS (SELECT FROM clean AS c WHERE c.pn = r.pn AND c.rn = r.rn)),
	rest AS (SELECT pn, ST_Collect((d).geom) AS g FROM (SELECT pn, ST_Dump(ST_CollectionExtract(ST_MakeValid(ST_Collect(rg)), 3)) AS d
		FROM touching GROUP BY pn, c) AS x GROUP BY pn),
	outers AS (SELECT pn, row_number() OVER () AS o, (d).geom AS g FROM (SELECT b.pn, ST_Dump(CASE WHEN r.g IS NULL THEN b.a WHEN b.a IS NULL THEN r.g
		ELSE ST_CollectionExtract(ST_SymDifference(b.a, r.g), 3) END) AS d FROM big AS b LEFT JOIN rest AS r USING (pn)) AS x),
	main AS (SELECT DISTINCT ON (pn) pn, o, g FROM outers ORDER BY pn, ST_NPoints(g) DESC),
	placed1 AS (SELECT m.pn, m.o, c.rn, c.rg FROM clean AS c JOIN main AS m USING (pn) WHERE c.rg && m.g AND ST_Intersects(m.g, ST_PointN(ST_ExteriorRing(c.rg), 1))),
	unplaced AS (SELECT c.pn, c.rn, c.rg FROM clean AS c WHERE NOT EXISTS (SELECT FROM placed1 AS p WHERE p.pn = c.pn AND p.rn = c.rn)),
	placed AS (SELECT pn, o, rg FROM placed1 UNION ALL SELECT o.pn, o.o, c.rg FROM outers AS o CROSS JOIN LATERAL (SELECT c.rg FROM unplaced AS c
		WHERE c.pn = o.pn AND c.rg && o.g AND ST_Intersects(o.g, ST_PointN(ST_ExteriorRing(c.rg), 1))) AS c WHERE NOT EXISTS (SELECT FROM main WHERE main.o = o.o)),
	pts AS (SELECT ST_PointN(ST_ExteriorRing((d).geom), 1) AS g FROM small, ST_Dump(small.g) AS d UNION ALL SELECT ST_PointN(ST_ExteriorRing(g), 1) FROM outers),
	own AS (SELECT o.o, (r).geom AS rg FROM outers AS o, ST_DumpRings(o.g) AS r WHERE (r).path[1] > 0),
	clustered AS (SELECT o, rg, ST_ClusterDBSCAN(rg, 0, 2) OVER () AS c FROM (SELECT o, rg FROM placed UNION ALL SELECT o, rg FROM own
		UNION ALL SELECT NULL, g FROM pts) AS x),
	relevant AS (SELECT o, rg FROM clustered WHERE o IS NOT NULL AND c IN (SELECT c FROM clustered WHERE o IS NULL)),
	holes AS (SELECT o, array_agg(ST_ExteriorRing(rg)) AS h FROM (SELECT o, rg FROM placed UNION ALL SELECT o, rg FROM own) AS x GROUP BY o),
	kept AS (SELECT o, array_agg(ST_ExteriorRing(rg)) AS h FROM relevant GROUP BY o),
	built AS (SELECT ST_MakePolygon(ST_ExteriorRing(o.g), coalesce(h.h, '{}')) AS g, ST_MakePolygon(ST_ExteriorRing(o.g), coalesce(k.h, '{}')) AS proxy
		FROM outers AS o LEFT JOIN holes AS h USING (o) LEFT JOIN kept AS k USING (o))
	SELECT CASE WHEN (SELECT count(*) FROM placed) = (SELECT count(*) FROM clean)
		AND (ST_IsValidDetail((SELECT ST_Collect(g) FROM (SELECT (ST_Dump(g)).geom AS g FROM small UNION ALL SELECT proxy FROM built) AS x))).valid
		THEN (SELECT ST_Collect(g) FROM (SELECT (ST_Dump(g)).geom AS g FROM small UNION ALL SELECT g FROM built) AS x) END)`, bigPartPoints), "\n\t", "\n\t\t\t")

// partsExpr is the parts method (repairExpr): ringsSQL for polygons and
// multipolygons, ST_MakeValid on the invalid parts of other geometries
// of dimension 2 (collections), checked; ST_MakeValid on the others.
// NULL when the result is not valid.
func partsExpr() string {
	return `CASE WHEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') THEN ` + ringsSQL + `
			WHEN ST_Dimension(geom) = 2 THEN (SELECT CASE WHEN ST_IsValid(x) THEN x END FROM (SELECT (SELECT ST_CollectionExtract(ST_Collect(CASE WHEN ST_IsValid(d.geom) THEN d.geom ELSE ST_MakeValid(d.geom) END), 3) FROM ST_Dump(geom) AS d) AS x) AS y)
			ELSE ST_MakeValid(geom) END`
}
