package geo

import (
	"cmp"
	"math"
	"slices"

	"open110/geo/coord"
	"open110/geo/internal/shape"
)

// Boundaries for display. The stored GCJ-02 polygons are simplified with
// Douglas–Peucker at a tolerance of half a web-map pixel at the requested
// zoom, then converted to WGS-84 (the API's datum; Leaflet and every GPS
// speak it) and rounded to 1e-6° (0.1 m).

// MaxZoom is the zoom from which boundaries are returned unsimplified: one
// pixel is then finer than the data's 1/1024° grid.
const MaxZoom = 12

// Feature is a GeoJSON feature for a unit's boundary.
type Feature struct {
	Type       string     `json:"type"` // "Feature"
	Properties Properties `json:"properties"`
	Geometry   Geometry   `json:"geometry"`
}

// Properties name the unit and give a point inside it for its label.
type Properties struct {
	Code   string     `json:"code"`
	Name   string     `json:"name"`
	Level  Level      `json:"level"`
	Parent string     `json:"parent,omitempty"`
	Label  [2]float64 `json:"label"` // [lng, lat] inside the largest part
}

// Geometry is a GeoJSON MultiPolygon in WGS-84, [lng, lat] pairs.
type Geometry struct {
	Type        string           `json:"type"` // "MultiPolygon"
	Coordinates [][][][2]float64 `json:"coordinates"`
}

// FeatureCollection is a GeoJSON feature collection.
type FeatureCollection struct {
	Type     string    `json:"type"` // "FeatureCollection"
	Features []Feature `json:"features"`
}

// polygonsOf returns a unit's stored GCJ-02 polygons: a county's own, a
// city's outline (echarts), the province's as its cities' outlines.
func (r *Router) polygonsOf(u Unit) []shape.Polygon {
	if u.Level != LevelProvince {
		return r.shapes[u.Code]
	}
	var out []shape.Polygon
	for _, c := range r.cities {
		out = append(out, r.shapes[c.Code]...)
	}
	return out
}

// Boundary returns the unit's boundary as a GeoJSON feature simplified for
// zoom (clamped to 0..MaxZoom), in WGS-84. The province's geometry is its
// cities' outlines together. ok is false for an unknown code.
func (r *Router) Boundary(code string, zoom int) (f Feature, ok bool) {
	u, ok := UnitByCode(code)
	if !ok {
		return Feature{}, false
	}
	zoom = min(max(zoom, 0), MaxZoom)
	// Half a pixel of a 256-px web-map tile, in grid units.
	tol := 0.0
	if zoom < MaxZoom {
		tol = 360.0 / (256 * math.Exp2(float64(zoom))) / 2 * shape.Scale
	}
	polys := r.polygonsOf(u)
	geom := Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{}}
	for _, p := range polys {
		var rings [][][2]float64
		for i, ring := range p {
			s := simplify(ring, tol)
			if len(s) < 3 {
				if i == 0 {
					break // the outer ring vanished at this zoom: drop the part
				}
				continue
			}
			out := make([][2]float64, 0, len(s)+1)
			for _, v := range s {
				out = append(out, toWGS(float64(v.X), float64(v.Y)))
			}
			rings = append(rings, append(out, out[0])) // GeoJSON closes rings
		}
		if len(rings) > 0 {
			geom.Coordinates = append(geom.Coordinates, rings)
		}
	}
	return Feature{
		Type:       "Feature",
		Properties: Properties{Code: u.Code, Name: u.Name, Level: u.Level, Parent: u.Parent, Label: labelPoint(polys)},
		Geometry:   geom,
	}, true
}

func toWGS(x, y float64) [2]float64 {
	lat, lng := coord.GCJ02ToWGS84(y/shape.Scale, x/shape.Scale)
	return [2]float64{math.Round(lng*1e6) / 1e6, math.Round(lat*1e6) / 1e6}
}

// simplify is Douglas–Peucker on a closed ring (tol in grid units; 0 keeps
// every vertex). The ring is split at vertex 0 and its farthest vertex so
// that both halves are open polylines.
func simplify(r shape.Ring, tol float64) shape.Ring {
	if tol <= 0 || len(r) <= 4 {
		return r
	}
	far, best := 0, -1.0
	for i, v := range r {
		if d := sq(float64(v.X-r[0].X)) + sq(float64(v.Y-r[0].Y)); d > best {
			far, best = i, d
		}
	}
	closed := append(slices.Clone(r), r[0]) // index len(r) is vertex 0 again
	keep := make([]bool, len(closed))
	keep[0], keep[far] = true, true
	dp(closed, 0, far, tol, keep)
	dp(closed, far, len(r), tol, keep)
	var out shape.Ring
	for i, v := range r {
		if keep[i] {
			out = append(out, v)
		}
	}
	return out
}

// dp marks the vertices strictly between a and b to keep, iteratively (a
// ring of thousands of vertices must not recurse that deep).
func dp(r shape.Ring, a, b int, tol float64, keep []bool) {
	stack := [][2]int{{a, b}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		idx, dmax := -1, tol
		for i := s[0] + 1; i < s[1]; i++ {
			if d := segDistance(r[i], r[s[0]], r[s[1]]); d > dmax {
				idx, dmax = i, d
			}
		}
		if idx >= 0 {
			keep[idx] = true
			stack = append(stack, [2]int{s[0], idx}, [2]int{idx, s[1]})
		}
	}
}

func segDistance(p, a, b shape.Point) float64 {
	px, py := float64(p.X), float64(p.Y)
	ax, ay, bx, by := float64(a.X), float64(a.Y), float64(b.X), float64(b.Y)
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max(((px-ax)*dx+(py-ay)*dy)/l, 0), 1)
	}
	return math.Hypot(px-ax-t*dx, py-ay-t*dy)
}

func sq(v float64) float64 { return v * v }

// labelPoint returns a WGS-84 point inside the largest part: the midpoint
// of the widest inside span on the horizontal line through the part's
// vertical middle (a centroid can fall outside a concave county).
func labelPoint(polys []shape.Polygon) [2]float64 {
	if len(polys) == 0 {
		return [2]float64{}
	}
	largest := slices.MaxFunc(polys, func(a, b shape.Polygon) int {
		return cmp.Compare(math.Abs(ringArea(a[0])), math.Abs(ringArea(b[0])))
	})
	minY, maxY := largest[0][0].Y, largest[0][0].Y
	for _, v := range largest[0] {
		minY, maxY = min(minY, v.Y), max(maxY, v.Y)
	}
	y := (float64(minY)+float64(maxY))/2 + 0.25 // off the vertex grid
	var xs []float64
	for _, ring := range largest {
		for i := range ring {
			a, b := ring[i], ring[(i+1)%len(ring)]
			if (float64(a.Y) <= y) != (float64(b.Y) <= y) {
				xs = append(xs, float64(a.X)+(y-float64(a.Y))*float64(b.X-a.X)/float64(b.Y-a.Y))
			}
		}
	}
	slices.Sort(xs)
	bx, bw := float64(largest[0][0].X), -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bw {
			bx, bw = (xs[i]+xs[i+1])/2, w
		}
	}
	return toWGS(bx, y)
}

func ringArea(r shape.Ring) float64 {
	s := 0.0
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		s += float64(a.X)*float64(b.Y) - float64(b.X)*float64(a.Y)
	}
	return s / 2
}
