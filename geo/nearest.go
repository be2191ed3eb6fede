package geo

import (
	"cmp"
	"math"
	"slices"

	"open110/geo/internal/shape"
)

// nearIndex answers "which county boundary is nearest to this point" for
// points in no county: outside the province (to name the nearest centre)
// and in gaps of the Cangzhou data. It is a static R-tree packed with the
// Sort-Tile-Recursive method (8 entries a node) searched depth-first,
// nearest child first, pruning by bounding-box distance: a few hundred
// distance computations and no allocation for any point on Earth.
const rtreeFanout = 8

type seg struct {
	x1, y1, x2, y2 float32
	feature        int32
}

type rnode struct {
	minX, minY, maxX, maxY float32
	first, count           int32 // children: nodes of the level below, or segs for leaves
}

type nearIndex struct {
	segs   []seg
	levels [][]rnode // levels[0] are leaves; the last level holds the root
}

// buildNear indexes the features' edges. With outerOnly, an edge that
// another ring has in reverse (a shared border) is left out: for a point in
// no polygon the nearest point of the union lies on its outer boundary, and
// dropping internal borders makes "outside" answers faster.
func buildNear(features []shape.Feature, outerOnly bool) *nearIndex {
	// An edge is shared when a different part has it reversed. Spikes (an
	// edge and its reverse in the same ring) are kept: their tip can be the
	// nearest point.
	type dir struct{ a, b shape.Point }
	var owner map[dir]int32 // part index + 1, or -1 for several parts
	if outerOnly {
		owner = make(map[dir]int32, 1<<18)
		pi := int32(0)
		for _, f := range features {
			for _, p := range f.Polygons {
				pi++
				for _, r := range p {
					for i := range r {
						k := dir{r[i], r[(i+1)%len(r)]}
						if o, ok := owner[k]; ok && o != pi {
							owner[k] = -1
						} else {
							owner[k] = pi
						}
					}
				}
			}
		}
	}
	n := &nearIndex{}
	pi := int32(0)
	for fi, f := range features {
		for _, p := range f.Polygons {
			pi++
			for _, r := range p {
				for i := range r {
					a, b := r[i], r[(i+1)%len(r)]
					if o := owner[dir{b, a}]; outerOnly && o != 0 && o != pi {
						continue
					}
					n.segs = append(n.segs, seg{float32(a.X), float32(a.Y), float32(b.X), float32(b.Y), int32(fi)})
				}
			}
		}
	}
	// Leaves over segments, then levels over nodes, each packed by STR.
	segBox := func(s seg) rnode {
		return rnode{minX: min(s.x1, s.x2), minY: min(s.y1, s.y2), maxX: max(s.x1, s.x2), maxY: max(s.y1, s.y2)}
	}
	strSort(n.segs, func(s seg) (float32, float32) { return s.x1 + s.x2, s.y1 + s.y2 })
	level := pack(len(n.segs), func(i int) rnode { return segBox(n.segs[i]) })
	n.levels = append(n.levels, level)
	for len(level) > 1 {
		strSort(level, func(r rnode) (float32, float32) { return r.minX + r.maxX, r.minY + r.maxY })
		below := level
		level = pack(len(below), func(i int) rnode { return below[i] })
		n.levels = append(n.levels, level)
	}
	return n
}

// strSort orders items Sort-Tile-Recursive: into vertical slices by x,
// each sorted by y, so consecutive runs of rtreeFanout are compact.
func strSort[T any](items []T, centre func(T) (float32, float32)) {
	slices.SortFunc(items, func(a, b T) int {
		ax, _ := centre(a)
		bx, _ := centre(b)
		return cmp.Compare(ax, bx)
	})
	leaves := (len(items) + rtreeFanout - 1) / rtreeFanout
	slabs := int(math.Ceil(math.Sqrt(float64(leaves))))
	per := slabs * rtreeFanout
	for i := 0; i < len(items); i += per {
		s := items[i:min(i+per, len(items))]
		slices.SortFunc(s, func(a, b T) int {
			_, ay := centre(a)
			_, by := centre(b)
			return cmp.Compare(ay, by)
		})
	}
}

// pack groups n consecutive children into nodes of rtreeFanout.
func pack(n int, box func(i int) rnode) []rnode {
	var out []rnode
	for i := 0; i < n; i += rtreeFanout {
		nd := rnode{minX: math.MaxFloat32, minY: math.MaxFloat32, maxX: -math.MaxFloat32, maxY: -math.MaxFloat32, first: int32(i), count: int32(min(rtreeFanout, n-i))}
		for j := i; j < i+int(nd.count); j++ {
			b := box(j)
			nd.minX, nd.minY = min(nd.minX, b.minX), min(nd.minY, b.minY)
			nd.maxX, nd.maxY = max(nd.maxX, b.maxX), max(nd.maxY, b.maxY)
		}
		out = append(out, nd)
	}
	return out
}

// boxDist2 is the squared scaled distance from (x, y) to the node's box.
func boxDist2(b *rnode, x, y, kx float64) float64 {
	dx := max(float64(b.minX)-x, 0, x-float64(b.maxX)) * kx
	dy := max(float64(b.minY)-y, 0, y-float64(b.maxY))
	return dx*dx + dy*dy
}

// nearest returns the feature whose boundary is closest to (x, y) (data
// units; x distances scaled by kx = cos(latitude) so the metric is locally
// isotropic), restricted to features for which allow is true (nil: all),
// and the closest boundary point. Ties go to the lower feature index.
func (n *nearIndex) nearest(x, y, kx float64, allow []bool) (feature int, px, py float64) {
	st := nearState{x: x, y: y, kx: kx, allow: allow, best: math.Inf(1), feature: -1}
	root := len(n.levels) - 1
	if len(n.levels[root]) > 0 {
		n.search(root, 0, &st)
	}
	return st.feature, st.px, st.py
}

type nearState struct {
	x, y, kx     float64
	allow        []bool
	best, px, py float64
	feature      int
}

// search visits a node's children nearest first, skipping any whose box is
// farther than the best so far. Recursion depth is the tree height (≤ 5).
func (n *nearIndex) search(level int, idx int32, st *nearState) {
	nd := &n.levels[level][idx]
	if level == 0 {
		for _, s := range n.segs[nd.first : nd.first+nd.count] {
			if st.allow != nil && !st.allow[s.feature] {
				continue
			}
			qx, qy, d := closest(s, st.x, st.y, st.kx)
			if d < st.best || (d == st.best && int(s.feature) < st.feature) {
				st.feature, st.best, st.px, st.py = int(s.feature), d, qx, qy
			}
		}
		return
	}
	var ds [rtreeFanout]float64
	var ids [rtreeFanout]int32
	cnt := 0
	below := n.levels[level-1]
	for c := nd.first; c < nd.first+nd.count; c++ {
		d := boxDist2(&below[c], st.x, st.y, st.kx)
		if d > st.best {
			continue
		}
		// insertion into the sorted prefix (ascending distance)
		j := cnt
		for ; j > 0 && ds[j-1] > d; j-- {
			ds[j], ids[j] = ds[j-1], ids[j-1]
		}
		ds[j], ids[j] = d, c
		cnt++
	}
	for k := range cnt {
		if ds[k] > st.best {
			break
		}
		n.search(level-1, ids[k], st)
	}
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
