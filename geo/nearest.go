package geo

import (
	"math"

	"open110/geo/internal/shape"
)

// nearIndex answers "which county boundary is nearest to this point" for
// points in no county: outside the province (to name the nearest centre)
// and in gaps of the data (the Cangzhou repair). A coarse grid of edge lists
// is searched ring by ring outwards until no unvisited cell can hold a
// closer edge.
const nearCellUnits = 64 // 1/16°

type seg struct {
	x1, y1, x2, y2 float32
	feature        int32
}

type nearIndex struct {
	x0, y0 float64
	nx, ny int
	off    []int32 // cell c holds segs[off[c]:off[c+1]]
	segs   []seg
}

// buildNear indexes the features' edges. With outerOnly, an edge that
// another ring has in reverse (a shared border) is left out: for a point in
// no polygon the nearest point of the union lies on its outer boundary, and
// dropping internal borders makes "outside" answers several times faster.
func buildNear(features []shape.Feature, outerOnly bool) *nearIndex {
	type dir struct{ a, b shape.Point }
	var shared map[dir]bool
	if outerOnly {
		shared = make(map[dir]bool, 1<<18)
		for _, f := range features {
			for _, p := range f.Polygons {
				for _, r := range p {
					for i := range r {
						shared[dir{r[i], r[(i+1)%len(r)]}] = true
					}
				}
			}
		}
	}
	minX, minY := int32(math.MaxInt32), int32(math.MaxInt32)
	maxX, maxY := int32(math.MinInt32), int32(math.MinInt32)
	var all []seg
	for fi, f := range features {
		for _, p := range f.Polygons {
			for _, r := range p {
				for i := range r {
					a, b := r[i], r[(i+1)%len(r)]
					minX, minY = min(minX, a.X), min(minY, a.Y)
					maxX, maxY = max(maxX, a.X), max(maxY, a.Y)
					if outerOnly && shared[dir{b, a}] {
						continue
					}
					all = append(all, seg{float32(a.X), float32(a.Y), float32(b.X), float32(b.Y), int32(fi)})
				}
			}
		}
	}
	n := &nearIndex{x0: float64(minX), y0: float64(minY)}
	n.nx = int(maxX-minX)/nearCellUnits + 1
	n.ny = int(maxY-minY)/nearCellUnits + 1
	cellsOf := func(s seg, fn func(c int)) {
		cx0, cx1 := n.col(float64(min(s.x1, s.x2))), n.col(float64(max(s.x1, s.x2)))
		cy0, cy1 := n.row(float64(min(s.y1, s.y2))), n.row(float64(max(s.y1, s.y2)))
		for cy := cy0; cy <= cy1; cy++ {
			for cx := cx0; cx <= cx1; cx++ {
				fn(cy*n.nx + cx)
			}
		}
	}
	count := make([]int32, n.nx*n.ny+1)
	for _, s := range all {
		cellsOf(s, func(c int) { count[c+1]++ })
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	n.off = count
	n.segs = make([]seg, count[len(count)-1])
	fill := make([]int32, n.nx*n.ny)
	copy(fill, count)
	for _, s := range all {
		cellsOf(s, func(c int) { n.segs[fill[c]] = s; fill[c]++ })
	}
	return n
}

func (n *nearIndex) col(x float64) int {
	return min(max(int(math.Floor((x-n.x0)/nearCellUnits)), 0), n.nx-1)
}

func (n *nearIndex) row(y float64) int {
	return min(max(int(math.Floor((y-n.y0)/nearCellUnits)), 0), n.ny-1)
}

// nearest returns the feature whose boundary is closest to (x, y) (data
// units; x distances scaled by kx = cos(latitude) so the metric is locally
// isotropic), restricted to features for which allow is true (nil: all),
// and the closest boundary point. Ties go to the lower feature index.
func (n *nearIndex) nearest(x, y, kx float64, allow []bool) (feature int, px, py float64) {
	cx, cy := n.col(x), n.row(y)
	feature, best := -1, math.Inf(1)
	for k := 0; k <= max(n.nx, n.ny); k++ {
		for gy := cy - k; gy <= cy+k; gy++ {
			if gy < 0 || gy >= n.ny {
				continue
			}
			step := 2 * k // only the ring's border cells, except on its top and bottom rows
			if gy == cy-k || gy == cy+k || k == 0 {
				step = 1
			}
			for gx := cx - k; gx <= cx+k; gx += step {
				if gx < 0 || gx >= n.nx {
					continue
				}
				c := gy*n.nx + gx
				for _, s := range n.segs[n.off[c]:n.off[c+1]] {
					if allow != nil && !allow[s.feature] {
						continue
					}
					qx, qy, d := closest(s, x, y, kx)
					if d < best || (d == best && int(s.feature) < feature) {
						feature, best, px, py = int(s.feature), d, qx, qy
					}
				}
			}
		}
		// Every unvisited cell is at least k whole cells away in x or y, also
		// when the point lies off the grid (the start cell is its clamp), and
		// x distances shrink by at most kx.
		if feature >= 0 && math.Sqrt(best) <= float64(k)*nearCellUnits*kx {
			break
		}
	}
	return feature, px, py
}

// closest returns the point of s nearest to (x, y) and the squared scaled
// distance to it.
func closest(s seg, x, y, kx float64) (qx, qy, d2 float64) {
	x1, y1 := float64(s.x1), float64(s.y1)
	dx, dy := (float64(s.x2)-x1)*kx, float64(s.y2)-y1
	px, py := (x-x1)*kx, y-y1
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max((px*dx+py*dy)/l, 0), 1)
	}
	ex, ey := px-t*dx, py-t*dy
	return x1 + t*(float64(s.x2)-x1), y1 + t*dy, ex*ex + ey*ey
}
