package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// The CGCS2000 ellipsoid (the same size as GRS 80 to 0.1 mm in b).
const (
	CGCS2000SemiMajor         = 6378137.0
	CGCS2000InverseFlattening = 298.257222101
)

// Gauss-Krüger (transverse Mercator, scale 1) on the CGCS2000 ellipsoid,
// written by hand: no maintained pure-Go projection library covers it (the Go
// bindings of PROJ need cgo, which the single static binary avoids). The
// projection uses the Krüger series to sixth order in the third flattening n,
// as given by Karney, "Transverse Mercator with an accuracy of a few
// nanometers" (J. Geodesy 85, 2011), eqs. (7)–(11), (35) and (36); PROJ's
// default "etmerc" (Poder–Engsager) evaluates the same series. Within a 3° or
// 6° zone the truncation error is far below a millimetre.
type krueger struct {
	a1    float64    // rectifying radius A (Karney eq. 14), metres
	alpha [6]float64 // forward coefficients α1..α6
	beta  [6]float64 // inverse coefficients β1..β6
	e     float64    // first eccentricity
	e2m   float64    // 1 − e²
}

// cgcs2000Krueger returns the series coefficients of the CGCS2000 ellipsoid.
// They are a handful of multiplications, so they are computed on each call
// rather than kept in a package variable.
func cgcs2000Krueger() krueger {
	f := 1 / CGCS2000InverseFlattening
	n := f / (2 - f)
	n2 := n * n
	n3, n4, n5, n6 := n2*n, n2*n2, n2*n2*n, n2*n2*n2
	e2 := f * (2 - f)
	return krueger{
		a1: CGCS2000SemiMajor / (1 + n) * (1 + n2/4 + n4/64 + n6/256),
		alpha: [6]float64{
			n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
			13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
			61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
			49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
			34729*n5/80640 - 3418889*n6/1995840,
			212378941 * n6 / 319334400,
		},
		beta: [6]float64{
			n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
			n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
			17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
			4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
			4583*n5/161280 - 108847*n6/3991680,
			20648693 * n6 / 638668800,
		},
		e:   math.Sqrt(e2),
		e2m: 1 - e2,
	}
}

// conformalTau returns tan χ of the conformal latitude χ for τ = tan φ
// (Karney eqs. 7–9), written with τ rather than φ so it stays exact near the
// poles.
func (k krueger) conformalTau(tau float64) float64 {
	s := math.Sqrt(1 + tau*tau)
	sigma := math.Sinh(k.e * math.Atanh(k.e*tau/s))
	return tau*math.Sqrt(1+sigma*sigma) - sigma*s
}

// geodeticTau inverts conformalTau by Newton's method (Karney eqs. 19–21),
// which converges in two or three steps.
func (k krueger) geodeticTau(taup float64) float64 {
	tau := taup
	for range 6 {
		tp := k.conformalTau(tau)
		dtau := (taup - tp) / math.Sqrt(1+tp*tp) *
			(1 + k.e2m*tau*tau) / (k.e2m * math.Sqrt(1+tau*tau))
		tau += dtau
		if math.Abs(dtau) < 1e-15*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// Forward projects a CGCS2000 longitude/latitude in degrees onto the zone's
// plane and returns (easting, northing) in metres, false easting included.
func (z GKZone) Forward(lonlat orb.Point) orb.Point {
	k := cgcs2000Krueger()
	lam := (lonlat[0] - z.CentralMeridian) * math.Pi / 180
	phi := lonlat[1] * math.Pi / 180

	taup := k.conformalTau(math.Tan(phi))
	// Gauss–Schreiber: conformal sphere to spherical transverse Mercator.
	xip := math.Atan2(taup, math.Cos(lam))
	etap := math.Asinh(math.Sin(lam) / math.Hypot(taup, math.Cos(lam)))

	xi, eta := xip, etap
	for j, a := range k.alpha {
		t := 2 * float64(j+1)
		xi += a * math.Sin(t*xip) * math.Cosh(t*etap)
		eta += a * math.Cos(t*xip) * math.Sinh(t*etap)
	}
	return orb.Point{z.FalseEasting + k.a1*eta, k.a1 * xi}
}

// Inverse converts an (easting, northing) in metres on the zone's plane back
// to a CGCS2000 longitude/latitude in degrees.
func (z GKZone) Inverse(en orb.Point) orb.Point {
	k := cgcs2000Krueger()
	xi := en[1] / k.a1
	eta := (en[0] - z.FalseEasting) / k.a1

	xip, etap := xi, eta
	for j, b := range k.beta {
		t := 2 * float64(j+1)
		xip -= b * math.Sin(t*xi) * math.Cosh(t*eta)
		etap -= b * math.Cos(t*xi) * math.Sinh(t*eta)
	}
	taup := math.Sin(xip) / math.Hypot(math.Sinh(etap), math.Cos(xip))
	lam := math.Atan2(math.Sinh(etap), math.Cos(xip))
	phi := math.Atan(k.geodeticTau(taup))
	return orb.Point{z.CentralMeridian + lam*180/math.Pi, phi * 180 / math.Pi}
}
