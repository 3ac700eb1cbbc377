package tiles

import "tudi/land"

// PsqlVars returns the psql variables (-v name=value) standing for what
// tudi puts into the tile SQL file file for a layer of kind with its
// canonical fields: identifiers unquoted (psql quotes :"name"), fragments
// as tudi builds them. The tile, band and sizes are the caller's.
func PsqlVars(file, layer string, kind land.Kind, fields []land.Field) map[string]string {
	var v sqlVars
	switch file {
	case "tile.sql":
		v = liveVars(layer, fields, false)
	case "gen_tile.sql":
		v = genVars(layer+genSuffix, kind)
	case "budget_tile.sql":
		v = budgetVars(layerRef{Name: layer, Kind: kind})
	case "generalise.sql":
		v = buildVars(layer, layer+genSuffix+"_new", kind)
	default:
		panic("no tile SQL file " + file)
	}
	out := map[string]string{}
	for _, pairs := range [][]string{v.idents, v.frags} {
		for i := 0; i+1 < len(pairs); i += 2 {
			out[pairs[i]] = pairs[i+1]
		}
	}
	return out
}
