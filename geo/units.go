package geo

// Area units. A 亩 (mu) is 10000/15 m² exactly (≈ 666.67 m²), a 公顷 (hectare)
// 10 000 m².
const (
	SquareMetresPerHectare = 10000.0
	SquareMetresPerMu      = 10000.0 / 15.0
)

// Hectares converts m² to 公顷.
func Hectares(m2 float64) float64 { return m2 / SquareMetresPerHectare }

// Mu converts m² to 亩.
func Mu(m2 float64) float64 { return m2 / SquareMetresPerMu }

// Areas is an area in the three units reports and identify show.
type Areas struct {
	M2 float64 `json:"m2"`
	Ha float64 `json:"ha"`
	Mu float64 `json:"mu"`
}

// AreasOf returns m² in all three units.
func AreasOf(m2 float64) Areas { return Areas{M2: m2, Ha: Hectares(m2), Mu: Mu(m2)} }
