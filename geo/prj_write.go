package geo

import (
	"fmt"
	"strconv"
	"strings"
)

// esriGCSCGCS2000 is the GEOGCS that ArcGIS writes for CGCS2000.
const esriGCSCGCS2000 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",` +
	`DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],` +
	`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// EsriWKT returns the Esri-flavoured WKT that ArcGIS writes into a shapefile's
// .prj for CGCS2000 (4490) or one of its Gauss-Krüger zones (4491–4554): the
// names ArcGIS uses (CGCS2000_3_Degree_GK_Zone_38, CGCS2000_3_Degree_GK_CM_114E,
// CGCS2000_GK_Zone_19, CGCS2000_GK_CM_111E), projection "Gauss_Kruger" and
// numbers always with a decimal point. Any other SRID is an error.
func EsriWKT(srid int) (string, error) {
	if srid == CGCS2000 {
		return esriGCSCGCS2000, nil
	}
	z, ok := CGCS2000GK(srid)
	if !ok {
		return "", fmt.Errorf("no Esri WKT for EPSG:%d: only CGCS2000 (4490) and its Gauss-Krüger zones (4491–4554)", srid)
	}
	name := "CGCS2000_GK_"
	if z.Width == 3 {
		name = "CGCS2000_3_Degree_GK_"
	}
	if z.Prefixed {
		name += "Zone_" + strconv.Itoa(z.Zone)
	} else {
		name += "CM_" + strconv.Itoa(int(z.CentralMeridian)) + "E"
	}
	var b strings.Builder
	b.WriteString(`PROJCS["` + name + `",` + esriGCSCGCS2000 + `,PROJECTION["Gauss_Kruger"],`)
	for _, p := range []struct {
		name  string
		value float64
	}{
		{"False_Easting", z.FalseEasting},
		{"False_Northing", 0},
		{"Central_Meridian", z.CentralMeridian},
		{"Scale_Factor", 1},
		{"Latitude_Of_Origin", 0},
	} {
		b.WriteString(`PARAMETER["` + p.name + `",` + esriNumber(p.value) + `],`)
	}
	b.WriteString(`UNIT["Meter",1.0]]`)
	return b.String(), nil
}

// esriNumber formats v the way ArcGIS does in WKT: the shortest exact decimal,
// with ".0" added to whole numbers.
func esriNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
