package geo

import (
	"errors"
	"math/rand/v2"
	"testing"

	"open110/geo/coord"
)

// TestAgreesWithNaiveScan compares the indexed router with the independent
// linear scan (naive_test.go) on random points over Hebei's bounding box,
// plus points near county borders where the two are most likely to differ.
func TestAgreesWithNaiveScan(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	n := newNaive()
	rng := rand.New(rand.NewPCG(7, 7))
	count := 12000
	if testing.Short() {
		count = 2000
	}
	var pts [][2]float64
	for range count {
		pts = append(pts, [2]float64{36.0 + rng.Float64()*6.7, 113.4 + rng.Float64()*6.5})
	}
	// Near-border points: jitter around vertices by up to ~50 m.
	for _, f := range n.counties {
		for _, p := range f.Polygons {
			ring := p[0]
			for i := 0; i < len(ring); i += 97 {
				gLat, gLng := ring[i].Lat()+(rng.Float64()-0.5)*0.001, ring[i].Lng()+(rng.Float64()-0.5)*0.001
				lat, lng := coord.GCJ02ToWGS84(gLat, gLng)
				pts = append(pts, [2]float64{lat, lng})
			}
		}
	}
	in, gaps := 0, 0
	for _, p := range pts {
		gLat, gLng := coord.WGS84ToGCJ02(p[0], p[1])
		want, wantGap := n.locate(gLat, gLng)
		rt, err := r.Route(p[0], p[1])
		got := ""
		if err == nil {
			got = rt.County.Code
			in++
		} else if c := CodeOf(err); c != CodeOutsideJurisdiction {
			t.Fatalf("%v: unexpected error %v", p, err)
		} else if len(pts) < 3000 || rng.IntN(10) == 0 { // a sample: the naive nearest is slow
			var oe *OutsideError
			errors.As(err, &oe)
			if want := n.nearest(gLat, gLng, ""); oe.NearestCounty.Code != want {
				t.Errorf("%.7f,%.7f: nearest county %s, naive %s", p[0], p[1], oe.NearestCounty.Code, want)
			}
		}
		if wantGap {
			gaps++
		}
		if got != want || rt.Gap != wantGap {
			t.Errorf("%.7f,%.7f: router %q gap=%v, naive %q gap=%v", p[0], p[1], got, rt.Gap, want, wantGap)
		}
	}
	t.Logf("%d points: %d inside (%d by gap repair), %d outside", len(pts), in, gaps, len(pts)-in)
}
