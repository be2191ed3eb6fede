// Package coord converts between WGS-84 (what GPS, BeiDou receivers and
// browsers report) and GCJ-02 (the obfuscated datum of Chinese map data,
// including our boundary polygons). It is the one place open110 converts.
//
// GCJ-02 is WGS-84 plus a smooth pseudo-random offset (about 500–600 m in
// Hebei) defined by a public formula on the Krasovsky ellipsoid. Forward is
// closed-form; the inverse is solved by fixed-point iteration to well under
// 0.5 m. Outside mainland China (a bounding rectangle, as in every published
// implementation) no offset applies.
package coord

import "math"

const (
	krasovskyA  = 6378245.0              // semi-major axis used by the GCJ-02 formula
	krasovskyE2 = 0.00669342162296594323 // first eccentricity squared
)

// OutOfChina reports whether a position lies outside the rectangle in which
// GCJ-02 applies an offset. The rectangle is coarse (it contains parts of
// neighbouring countries) but it is what the formula's users agree on.
func OutOfChina(lat, lng float64) bool {
	return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

// WGS84ToGCJ02 converts a WGS-84 position to GCJ-02.
func WGS84ToGCJ02(lat, lng float64) (gLat, gLng float64) {
	if OutOfChina(lat, lng) {
		return lat, lng
	}
	dLat, dLng := offset(lat, lng)
	return lat + dLat, lng + dLng
}

// GCJ02ToWGS84 converts a GCJ-02 position back to WGS-84. It iterates
// w ← g − offset(w) until the step is below 1e-9° (≈0.1 mm); the offset's
// gradient is tiny, so this converges in a handful of steps.
func GCJ02ToWGS84(gLat, gLng float64) (lat, lng float64) {
	if OutOfChina(gLat, gLng) {
		return gLat, gLng
	}
	lat, lng = gLat, gLng
	for range 30 {
		dLat, dLng := offset(lat, lng)
		nLat, nLng := gLat-dLat, gLng-dLng
		done := math.Abs(nLat-lat) < 1e-9 && math.Abs(nLng-lng) < 1e-9
		lat, lng = nLat, nLng
		if done {
			break
		}
	}
	return lat, lng
}

// offset is the GCJ-02 displacement, in degrees, at a WGS-84 position.
func offset(lat, lng float64) (dLat, dLng float64) {
	x, y := lng-105.0, lat-35.0
	dLat = transformLat(x, y)
	dLng = transformLng(x, y)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyE2*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyE2)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLat, dLng
}

func transformLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func transformLng(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}

// DistanceM is the great-circle distance in metres between two positions in
// the same datum (haversine on a sphere of the WGS-84 mean radius; error
// well under 0.5%, plenty for "nearest centre is 3.2 km away").
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}
