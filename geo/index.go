package geo

import (
	"math"
	"slices"

	"open110/geo/internal/shape"
)

// The index is a uniform grid over the layer's bounding box, in the data's
// own integer units (1/1024° of GCJ-02). A cell that no polygon edge touches
// has one fixed answer, stored directly: most lookups end there after a
// multiply and an array read. A cell that edges touch lists its candidate
// polygons (parts) in priority order; each part keeps, per grid row, the
// edges that span that row, so the exact crossing test looks at a few dozen
// edges instead of a county's thousands.
const cellUnits = 8 // 1/128° ≈ 870 m × 690 m in Hebei

// edge is a polygon edge normalised so that y1 < y2; both neighbours of a
// shared edge therefore compute the same crossing and a point exactly on it
// belongs to exactly one of them.
type edge struct{ x1, y1, x2, y2 float32 }

// part is one polygon of a feature: outer ring plus holes.
type part struct {
	feature  int32 // index into the layer's features
	row0     int32 // first grid row with edges
	rowStart []int32
	edges    []edge // grouped by row; rowStart[r-row0]..rowStart[r-row0+1]
}

// cell values: 0 = no part; 1..boundaryFlag-1 = feature index+1 (interior);
// boundaryFlag|i = candidate list i.
const boundaryFlag = 1 << 31

type layer struct {
	x0, y0  float64 // grid origin in units
	nx, ny  int
	cells   []uint32
	candOff []int32 // candidate list i is cands[candOff[i]:candOff[i+1]]
	cands   []int32 // part indices, in priority order
	parts   []part
}

// buildLayer indexes the features; a feature earlier in the slice wins where
// features overlap (callers pass them in code order).
func buildLayer(features []shape.Feature) *layer {
	minX, minY := int32(math.MaxInt32), int32(math.MaxInt32)
	maxX, maxY := int32(math.MinInt32), int32(math.MinInt32)
	for _, f := range features {
		for _, p := range f.Polygons {
			for _, r := range p {
				for _, v := range r {
					minX, minY = min(minX, v.X), min(minY, v.Y)
					maxX, maxY = max(maxX, v.X), max(maxY, v.Y)
				}
			}
		}
	}
	l := &layer{
		x0: float64(minX - cellUnits), y0: float64(minY - cellUnits),
		nx: int(maxX-minX)/cellUnits + 3, ny: int(maxY-minY)/cellUnits + 3,
	}
	l.cells = make([]uint32, l.nx*l.ny)

	// Pass 1: which parts' edges touch which cells (every cell of each
	// edge's bounding box: conservative, a few extra boundary cells cost
	// nothing), and each part's edges bucketed by grid row.
	var touches []uint64 // cell<<32 | part, sorted below
	touched := make([]bool, len(l.cells))
	for fi, f := range features {
		for _, poly := range f.Polygons {
			pi := len(l.parts)
			var es []edge
			for _, r := range poly {
				for i := range r {
					a, b := r[i], r[(i+1)%len(r)]
					if a.Y > b.Y {
						a, b = b, a
					}
					es = append(es, edge{float32(a.X), float32(a.Y), float32(b.X), float32(b.Y)})
				}
			}
			rmin, rmax := math.MaxInt32, -1
			for _, e := range es {
				cx0, cx1 := l.col(float64(min(e.x1, e.x2))), l.col(float64(max(e.x1, e.x2)))
				cy0, cy1 := l.row(float64(e.y1)), l.row(float64(e.y2))
				rmin, rmax = min(rmin, cy0), max(rmax, cy1)
				for cy := cy0; cy <= cy1; cy++ {
					for cx := cx0; cx <= cx1; cx++ {
						c := cy*l.nx + cx
						touched[c] = true
						touches = append(touches, uint64(c)<<32|uint64(pi))
					}
				}
			}
			l.parts = append(l.parts, bucketRows(l, int32(fi), rmin, rmax, es))
		}
	}
	slices.Sort(touches)
	touches = slices.Compact(touches)

	// Pass 2: scanline fill at each row's centre line. An untouched cell
	// has one answer for all its points: the first part (lowest index)
	// covering its centre. A touched cell also lists covering parts as
	// candidates, since a part can cover it without an edge inside.
	var covers []uint64
	var xs []float64
	for pi := range l.parts {
		pt := &l.parts[pi]
		for r := int(pt.row0); r < int(pt.row0)+len(pt.rowStart)-1; r++ {
			y := l.y0 + (float64(r)+0.5)*cellUnits
			xs = xs[:0]
			for _, e := range pt.rowEdges(r) {
				if (float64(e.y1) <= y) != (float64(e.y2) <= y) {
					xs = append(xs, crossX(e, y))
				}
			}
			slices.Sort(xs)
			for i := 0; i+1 < len(xs); i += 2 {
				// Centres x in [xs[i], xs[i+1]) are inside (the "x < crossing"
				// rule of contains, with an odd count of crossings to the right).
				c0 := int(math.Ceil((xs[i]-l.x0)/cellUnits - 0.5))
				for cx := c0; l.x0+(float64(cx)+0.5)*cellUnits < xs[i+1]; cx++ {
					c := r*l.nx + cx
					switch {
					case touched[c]:
						covers = append(covers, uint64(c)<<32|uint64(pi))
					case l.cells[c] == 0:
						l.cells[c] = uint32(pt.feature) + 1
					}
				}
			}
		}
	}
	// Boundary cells: candidates are touching parts plus covering ones, in
	// part order (so the lowest index, the highest priority, is tried first).
	touches = append(touches, covers...)
	slices.Sort(touches)
	touches = slices.Compact(touches)
	l.candOff = []int32{0}
	for i := 0; i < len(touches); {
		cell := touches[i] >> 32
		for ; i < len(touches) && touches[i]>>32 == cell; i++ {
			l.cands = append(l.cands, int32(touches[i]&0xffffffff))
		}
		l.cells[cell] = boundaryFlag | uint32(len(l.candOff)-1)
		l.candOff = append(l.candOff, int32(len(l.cands)))
	}
	return l
}

// bucketRows groups a part's edges by the grid rows they can change parity
// in: an edge's open y-span must meet the row's half-open span.
func bucketRows(l *layer, feature int32, rmin, rmax int, es []edge) part {
	pt := part{feature: feature, row0: int32(rmin), rowStart: make([]int32, rmax-rmin+2)}
	rowsOf := func(e edge) (int, int) {
		if e.y1 == e.y2 {
			return 1, 0 // horizontal: never crosses
		}
		r0, r1 := l.row(float64(e.y1)), l.row(float64(e.y2))
		if l.y0+float64(r1*cellUnits) == float64(e.y2) {
			r1-- // ends exactly on the row's lower line: open span misses it
		}
		return r0, r1
	}
	for _, e := range es {
		r0, r1 := rowsOf(e)
		for r := r0; r <= r1; r++ {
			pt.rowStart[r-rmin+1]++
		}
	}
	for i := 1; i < len(pt.rowStart); i++ {
		pt.rowStart[i] += pt.rowStart[i-1]
	}
	pt.edges = make([]edge, pt.rowStart[len(pt.rowStart)-1])
	fill := slices.Clone(pt.rowStart)
	for _, e := range es {
		r0, r1 := rowsOf(e)
		for r := r0; r <= r1; r++ {
			pt.edges[fill[r-rmin]] = e
			fill[r-rmin]++
		}
	}
	return pt
}

func (l *layer) col(x float64) int { return int(math.Floor((x - l.x0) / cellUnits)) }
func (l *layer) row(y float64) int { return int(math.Floor((y - l.y0) / cellUnits)) }

func (p *part) rowEdges(r int) []edge {
	i := r - int(p.row0)
	if i < 0 || i+1 >= len(p.rowStart) {
		return nil
	}
	return p.edges[p.rowStart[i]:p.rowStart[i+1]]
}

func crossX(e edge, y float64) float64 {
	x1, y1, x2, y2 := float64(e.x1), float64(e.y1), float64(e.x2), float64(e.y2)
	return x1 + (y-y1)*(x2-x1)/(y2-y1)
}

// contains is the exact crossing-number test against the part's edges in
// row r: a ray to +x, an edge counts if y is in [y1, y2) and x < crossing.
func (p *part) contains(r int, x, y float64) bool {
	in := false
	for _, e := range p.rowEdges(r) {
		if (float64(e.y1) <= y) && (y < float64(e.y2)) && x < crossX(e, y) {
			in = !in
		}
	}
	return in
}

// lookup returns the index of the first feature containing (x, y) in data
// units, or -1.
func (l *layer) lookup(x, y float64) int {
	cx, cy := l.col(x), l.row(y)
	if cx < 0 || cy < 0 || cx >= l.nx || cy >= l.ny {
		return -1
	}
	v := l.cells[cy*l.nx+cx]
	if v&boundaryFlag == 0 {
		return int(v) - 1
	}
	i := v &^ boundaryFlag
	for _, pi := range l.cands[l.candOff[i]:l.candOff[i+1]] {
		if l.parts[pi].contains(cy, x, y) {
			return int(l.parts[pi].feature)
		}
	}
	return -1
}
