package server

import (
	"strconv"

	"tudi/importers"
	"tudi/land"
)

// ledgerField reads a form field of a ledger upload (.xlsx or .csv): sheet,
// lon, lat, wkt, geometry_from, lenient.
func ledgerField(name, v string, o *importers.LedgerOptions) error {
	switch name {
	case "sheet":
		o.Sheet = v
	case "lon":
		o.Lon = v
	case "lat":
		o.Lat = v
	case "wkt":
		o.WKT = v
	case "geometry_from":
		o.GeometryFrom = v
	case "lenient":
		if v == "" {
			o.Lenient = true
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return land.Errorf(land.Invalid, "lenient=%q: want true or false", v)
		}
		o.Lenient = b
	}
	return nil
}
