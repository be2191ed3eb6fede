package geo

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// loadReady loads a router and waits for its background index (an outside
// answer waits for it), so benchmarks measure lookups only.
func loadReady(tb testing.TB) *Router {
	r, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = r.Route(39.9087, 116.3975) // Beijing: outside
	return r
}

// benchPoints are WGS-84 points spread uniformly over Hebei's bounding box
// (about 45% of them inside the province), fixed by seed.
func benchPoints(n int, inside *Router) [][2]float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	var pts [][2]float64
	for len(pts) < n {
		p := [2]float64{36.0 + rng.Float64()*6.7, 113.4 + rng.Float64()*6.5}
		if inside == nil {
			pts = append(pts, p)
			continue
		}
		if _, ok := inside.County(p[0], p[1]); !ok {
			continue
		}
		pts = append(pts, p)
	}
	return pts
}

// BenchmarkRoute measures a lookup of a point inside Hebei (the case that
// must not allocate): WGS-84→GCJ-02, grid cell, exact test where needed.
func BenchmarkRoute(b *testing.B) {
	r := loadReady(b)
	pts := benchPoints(1<<14, r)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pts[i&(len(pts)-1)]
		if _, err := r.Route(p[0], p[1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountyBBox is the routing decision alone (no nearest-centre
// search for outside points) over the bounding-box mix: never allocates.
func BenchmarkCountyBBox(b *testing.B) {
	r := loadReady(b)
	pts := benchPoints(1<<14, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pts[i&(len(pts)-1)]
		r.County(p[0], p[1])
	}
}

// BenchmarkRouteBBox is the PostGIS benchmark's mix: uniform over the
// bounding box, so about half the points are outside (and allocate their
// error).
func BenchmarkRouteBBox(b *testing.B) {
	r := loadReady(b)
	pts := benchPoints(1<<14, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pts[i&(len(pts)-1)]
		_, _ = r.Route(p[0], p[1])
	}
}

// TestRouteLatencyMedian reports (does not assert: tests never assert wall
// clock) the median and p99 single-lookup latency and the router's heap.
func TestRouteLatencyMedian(t *testing.T) {
	if testing.Short() {
		t.Skip("latency report")
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	pts := benchPoints(20000, r)
	d := make([]time.Duration, len(pts))
	for i, p := range pts {
		t0 := time.Now()
		for range 16 {
			_, _ = r.Route(p[0], p[1])
		}
		d[i] = time.Since(t0) / 16
	}
	slices.Sort(d)
	t.Logf("router heap %.1f MB; lookup median %v p99 %v max %v", float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, d[len(d)/2], d[len(d)*99/100], d[len(d)-1])
	runtime.KeepAlive(r)
}
