package geo

import (
	"math"

	"open110/geo/internal/shape"
)

// naive is an independent reference router for tests: a linear scan of every
// polygon with the textbook PNPOLY test in degrees, no index, no shared code
// with the router beyond the decoded data.
type naive struct {
	counties, cities []shape.Feature
}

func newNaive() *naive {
	fs, err := shape.Decode(boundariesBin)
	if err != nil {
		panic(err)
	}
	n := &naive{}
	for _, f := range fs {
		switch {
		case f.Kind == shape.County:
			n.counties = append(n.counties, f)
		case f.Code == "130900": // only Cangzhou's outline repairs gaps
			n.cities = append(n.cities, f)
		}
	}
	return n
}

func pnpoly(p shape.Polygon, lng, lat float64) bool {
	in := false
	for _, r := range p {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			xi, yi, xj, yj := r[i].Lng(), r[i].Lat(), r[j].Lng(), r[j].Lat()
			if (yi > lat) != (yj > lat) && lng < (xj-xi)*(lat-yi)/(yj-yi)+xi {
				in = !in
			}
		}
	}
	return in
}

func firstContaining(fs []shape.Feature, lng, lat float64) int {
	for i, f := range fs {
		for _, p := range f.Polygons {
			if pnpoly(p, lng, lat) {
				return i
			}
		}
	}
	return -1
}

// locate mirrors the router's rules: the first county (code order)
// containing the GCJ-02 point; else, inside a city outline, that city's
// county with the nearest boundary (Cangzhou only) (scaled by cos lat); else -1.
func (n *naive) locate(gLat, gLng float64) (string, bool) {
	if i := firstContaining(n.counties, gLng, gLat); i >= 0 {
		return n.counties[i].Code, false
	}
	ci := firstContaining(n.cities, gLng, gLat)
	if ci < 0 {
		return "", false
	}
	return n.nearest(gLat, gLng, n.cities[ci].Code), true
}

// nearest is the county (of city, or any if "") whose boundary is nearest.
func (n *naive) nearest(gLat, gLng float64, city string) string {
	best, code := math.Inf(1), ""
	k := math.Cos(gLat * math.Pi / 180)
	for _, f := range n.counties {
		if u, _ := UnitByCode(f.Code); city != "" && u.Parent != city {
			continue
		}
		for _, p := range f.Polygons {
			for _, r := range p {
				for i := range r {
					d := segDist(gLng, gLat, r[i].Lng(), r[i].Lat(), r[(i+1)%len(r)].Lng(), r[(i+1)%len(r)].Lat(), k)
					if d < best {
						best, code = d, f.Code
					}
				}
			}
		}
	}
	return code
}

func segDist(px, py, ax, ay, bx, by, k float64) float64 {
	dx, dy := (bx-ax)*k, by-ay
	qx, qy := (px-ax)*k, py-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Min(math.Max((qx*dx+qy*dy)/l, 0), 1)
	}
	ex, ey := qx-t*dx, qy-t*dy
	return ex*ex + ey*ey // squared: only compared
}
