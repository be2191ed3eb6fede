package geo

import "slices"

// GCJPolygons returns a unit's stored polygons in GCJ-02 degrees, as
// [lng, lat] rings closed WKT-style (first vertex repeated): a county's
// parts, or a city's echarts outline. It exists for tools that must use
// exactly the router's data, such as the PostGIS benchmark (bench/geo).
func (r *Router) GCJPolygons(code string) [][][][2]float64 {
	var out [][][][2]float64
	for _, p := range r.shapes[code] {
		var rings [][][2]float64
		for _, ring := range p {
			pts := make([][2]float64, 0, len(ring)+1)
			for _, v := range ring {
				pts = append(pts, [2]float64{v.Lng(), v.Lat()})
			}
			rings = append(rings, append(pts, pts[0]))
		}
		out = append(out, rings)
	}
	return out
}

// GapRepairCities returns the codes of the cities whose outline fills gaps
// between their county polygons (see Route.Gap): only Cangzhou.
func GapRepairCities() []string {
	var out []string
	for c := range gapRepairCities {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
