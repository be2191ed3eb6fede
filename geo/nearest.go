package geo

import (
	"cmp"
	"math"
	"slices"

	"open110/geo/internal/shape"
)

// nearIndex answers "which county boundary is nearest to this point" for
// points in no county: outside the province (to name the nearest centre)
// and in gaps of the Cangzhou data. Boundaries are cut into chunks of up to
// rtreeFanout consecutive edges (compact boxes, shared vertices, half the
// memory of loose segments: the search is bound by cache misses), indexed
// by a static R-tree packed Sort-Tile-Recursive and searched depth-first,
// nearest child first, pruning by box distance. About a hundred distance
// computations and no allocation for any point on Earth.
const rtreeFanout = 8

type rnode struct {
	minX, minY, maxX, maxY float32
	first, count           int32 // children in the level below; for a chunk (level 0), edges pts[first:first+count+1]
}

type nearIndex struct {
	pts     []shape.Point
	feature []int32   // per chunk (level-0 node)
	levels  [][]rnode // levels[0] are chunks; the last level holds the root
}

// buildNear indexes the features' edges. With outerOnly, an edge that
// another ring has in reverse (a shared border) is left out: for a point in
// no polygon the nearest point of the union lies on its outer boundary, and
// dropping internal borders makes "outside" answers faster.
// include, if not nil, selects the features to index (indexes stay those
// of the full slice).
func buildNear(features []shape.Feature, outerOnly bool, include func(int) bool) *nearIndex {
	// An edge is shared when a different part has it reversed. Spikes (an
	// edge and its reverse in the same ring) are kept: their tip can be the
	// nearest point. One sort by undirected key groups each edge with its
	// twins; a linear pass marks the shared ones (a map of 135k edges is
	// several times slower to build).
	type undirected struct {
		lo, hi  uint64 // packed endpoints, lo < hi
		forward bool   // the ring runs lo → hi
		part    int32
		id      int32 // edge number in ring order over all features
	}
	key := func(p shape.Point) uint64 { return uint64(uint32(p.X))<<32 | uint64(uint32(p.Y)) }
	var shared []bool // by edge id
	if outerOnly {
		var all []undirected
		pi := int32(0)
		for _, f := range features {
			for _, p := range f.Polygons {
				pi++
				for _, r := range p {
					for i := range r {
						a, b := key(r[i]), key(r[(i+1)%len(r)])
						e := undirected{lo: a, hi: b, forward: true, part: pi, id: int32(len(all))}
						if a > b {
							e.lo, e.hi, e.forward = b, a, false
						}
						all = append(all, e)
					}
				}
			}
		}
		shared = make([]bool, len(all))
		slices.SortFunc(all, func(x, y undirected) int {
			if c := cmp.Compare(x.lo, y.lo); c != 0 {
				return c
			}
			return cmp.Compare(x.hi, y.hi)
		})
		for g := 0; g < len(all); {
			h := g + 1
			for h < len(all) && all[h].lo == all[g].lo && all[h].hi == all[g].hi {
				h++
			}
			for x := g; x < h; x++ {
				for y := g; y < h; y++ {
					if all[x].forward != all[y].forward && all[x].part != all[y].part {
						shared[all[x].id] = true
					}
				}
			}
			g = h
		}
	}
	n := &nearIndex{}
	var chunks []rnode
	var feats []int32
	// emit appends the polyline run as chunks of up to rtreeFanout edges.
	emit := func(run []shape.Point, fi int) {
		for k := 0; k+1 < len(run); k += rtreeFanout {
			end := min(k+rtreeFanout, len(run)-1)
			c := rnode{minX: math.MaxFloat32, minY: math.MaxFloat32, maxX: -math.MaxFloat32, maxY: -math.MaxFloat32,
				first: int32(len(n.pts)), count: int32(end - k)}
			for _, v := range run[k : end+1] {
				c.minX, c.minY = min(c.minX, float32(v.X)), min(c.minY, float32(v.Y))
				c.maxX, c.maxY = max(c.maxX, float32(v.X)), max(c.maxY, float32(v.Y))
				n.pts = append(n.pts, v)
			}
			chunks = append(chunks, c)
			feats = append(feats, int32(fi))
		}
	}
	id := 0 // edge number, as in shared
	for fi, f := range features {
		if include != nil && !include(fi) {
			for _, p := range f.Polygons {
				for _, r := range p {
					id += len(r)
				}
			}
			continue
		}
		for _, p := range f.Polygons {
			for _, r := range p {
				// Split the ring into runs of kept edges; rotate so a run
				// does not wrap around the ring's start.
				base := id
				id += len(r)
				keep := func(i int) bool { return !outerOnly || !shared[base+i] }
				start := 0
				for start < len(r) && keep((start+len(r)-1)%len(r)) {
					start++
				}
				if start == len(r) { // every edge kept: the whole ring
					emit(append(append([]shape.Point{}, r...), r[0]), fi)
					continue
				}
				var run []shape.Point
				for k := range len(r) {
					i := (start + k) % len(r)
					if keep(i) {
						if len(run) == 0 {
							run = append(run, r[i])
						}
						run = append(run, r[(i+1)%len(r)])
						continue
					}
					emit(run, fi)
					run = run[:0]
				}
				emit(run, fi)
			}
		}
	}
	// STR-sort the chunks (with their features), then pack upper levels.
	order := make([]int, len(chunks))
	for i := range order {
		order[i] = i
	}
	strSort(order, func(i int) (float32, float32) {
		return chunks[i].minX + chunks[i].maxX, chunks[i].minY + chunks[i].maxY
	})
	// Lay the chunks' vertices out in tree order too: neighbouring leaves
	// then share cache lines (the search is bound by cache misses).
	level := make([]rnode, len(chunks))
	n.feature = make([]int32, len(chunks))
	pts := make([]shape.Point, 0, len(n.pts))
	for k, i := range order {
		c := chunks[i]
		first := int32(len(pts))
		pts = append(pts, n.pts[c.first:c.first+c.count+1]...)
		c.first = first
		level[k], n.feature[k] = c, feats[i]
	}
	n.pts = pts
	n.levels = append(n.levels, level)
	for len(level) > 1 {
		below := level
		level = pack(len(below), func(i int) rnode { return below[i] })
		n.levels = append(n.levels, level)
		if len(level) > 1 {
			strSort(level, func(r rnode) (float32, float32) { return r.minX + r.maxX, r.minY + r.maxY })
		}
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
		f := n.feature[idx]
		if st.allow != nil && !st.allow[f] {
			return
		}
		pts := n.pts[nd.first : nd.first+nd.count+1]
		for i := range nd.count {
			qx, qy, d := closest(pts[i], pts[i+1], st.x, st.y, st.kx)
			// Distances equal up to rounding (a vertex two counties share,
			// reached through different edges) are a tie: lower index wins.
			tie := st.feature >= 0 && math.Abs(d-st.best) <= 1e-9*st.best
			if (d < st.best && !tie) || (tie && int(f) < st.feature) {
				st.feature, st.best, st.px, st.py = int(f), d, qx, qy
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
		if d > st.best*(1+1e-9) {
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
		if ds[k] > st.best*(1+1e-9) {
			break
		}
		n.search(level-1, ids[k], st)
	}
}

// closest returns the point of segment ab nearest to (x, y) and the
// squared scaled distance to it.
func closest(a, b shape.Point, x, y, kx float64) (qx, qy, d2 float64) {
	x1, y1 := float64(a.X), float64(a.Y)
	dx, dy := (float64(b.X)-x1)*kx, float64(b.Y)-y1
	px, py := (x-x1)*kx, y-y1
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max((px*dx+py*dy)/l, 0), 1)
	}
	ex, ey := px-t*dx, py-t*dy
	return x1 + t*(float64(b.X)-x1), y1 + t*dy, ex*ex + ey*ey
}
