package geo

import (
	"testing"

	"open110/geo/internal/shape"
)

// TestSharedBorderPoints: a point exactly on a border shared by two counties
// (edge midpoints and vertices, in GCJ-02 where the data lives) belongs to
// exactly one of them, and the index agrees with the exact test.
func TestSharedBorderPoints(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := shape.Decode(boundariesBin)
	type dir = struct{ a, b shape.Point }
	owner := map[dir]int{}
	edges := map[int][]dir{} // per county, for hair detection
	fi := 0
	for _, f := range fs {
		if f.Kind != shape.County {
			continue
		}
		for _, p := range f.Polygons {
			for _, ring := range p {
				// Orient every ring counter-clockwise so that a border shared
				// by two counties appears once in each direction.
				cw := ringArea(ring) < 0
				for i := range ring {
					a, b := ring[i], ring[(i+1)%len(ring)]
					if cw {
						a, b = b, a
					}
					owner[dir{a, b}] = fi
					edges[fi] = append(edges[fi], dir{a, b})
				}
			}
		}
		fi++
	}
	checked := 0
	for e, a := range owner {
		b, ok := owner[dir{e.b, e.a}]
		// The source has zero-width hairs (a ring running along a segment
		// and back); points on them are not on a two-sided border.
		if !ok || a == b || onEdges(edges[a], e) > 1 || onEdges(edges[b], e) > 1 {
			continue
		}
		checked++
		for _, pt := range [][2]float64{
			{(float64(e.a.X) + float64(e.b.X)) / 2, (float64(e.a.Y) + float64(e.b.Y)) / 2},
			{float64(e.a.X), float64(e.a.Y)},
		} {
			row := r.county.row(pt[1])
			in, first := 0, -1
			for _, part := range r.county.parts {
				if !part.contains(row, pt[0], pt[1]) {
					continue
				}
				if first < 0 {
					first = int(part.feature)
				}
				if int(part.feature) == a || int(part.feature) == b {
					in++
				}
			}
			if got := r.county.lookup(pt[0], pt[1]); got != first {
				t.Fatalf("border point %v: index says %d, exact scan %d", pt, got, first)
			}
			if pt[0] != float64(e.a.X) || pt[1] != float64(e.a.Y) {
				if in != 1 {
					t.Fatalf("midpoint %v of the %s/%s border (edge %v) is in %d of them", pt, r.counties[a].Code, r.counties[b].Code, e, in)
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d shared edges found", checked)
	}
}

// onEdges counts the edges passing through e's midpoint (exact, in doubled
// integer coordinates).
func onEdges(es []struct{ a, b shape.Point }, e struct{ a, b shape.Point }) int {
	mx, my := int64(e.a.X)+int64(e.b.X), int64(e.a.Y)+int64(e.b.Y)
	n := 0
	for _, s := range es {
		px, py := 2*int64(s.a.X), 2*int64(s.a.Y)
		qx, qy := 2*int64(s.b.X), 2*int64(s.b.Y)
		if (qx-px)*(my-py)-(qy-py)*(mx-px) != 0 {
			continue
		}
		if min(px, qx) <= mx && mx <= max(px, qx) && min(py, qy) <= my && my <= max(py, qy) {
			n++
		}
	}
	return n
}
