package main

import (
	"errors"
	"runtime"
	"slices"
	"time"

	"open110/geo"
)

type routerResult struct {
	router       *geo.Router
	load         time.Duration // median of 5 loads
	heapMB       float64       // live heap held by one router
	median       time.Duration // single lookup, all points (timer overhead included)
	medianInside time.Duration
	p99          time.Duration
	perSec       float64 // one goroutine, all points, best of 3
	perSecInside float64
	allocsInside float64
	outcomes     []outcome
	inside       int
}

func benchRouter(pts []point) (*routerResult, error) {
	res := &routerResult{}
	var loads []time.Duration
	var m0, m1 runtime.MemStats
	for i := range 5 {
		runtime.GC()
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		r, err := geo.Load()
		if err != nil {
			return nil, err
		}
		loads = append(loads, time.Since(t0))
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if i == 4 {
			res.router = r
			res.heapMB = float64(m1.HeapAlloc-m0.HeapAlloc) / 1e6
		}
	}
	slices.Sort(loads)
	res.load = loads[2]
	r := res.router

	res.outcomes = make([]outcome, len(pts))
	var insidePts []point
	for i, p := range pts {
		rt, err := r.Route(p.lat, p.lng)
		var oe *geo.OutsideError
		switch {
		case err == nil:
			res.outcomes[i] = outcome{county: rt.County.Code, gap: rt.Gap}
			insidePts = append(insidePts, p)
		case errors.As(err, &oe):
			res.outcomes[i] = outcome{nearest: oe.NearestCounty.Code}
		default:
			return nil, err
		}
	}
	res.inside = len(insidePts)

	// Throughput: one goroutine, best of 3 passes.
	pass := func(ps []point) float64 {
		best := 0.0
		for range 3 {
			t0 := time.Now()
			for _, p := range ps {
				_, _ = r.Route(p.lat, p.lng)
			}
			best = max(best, float64(len(ps))/time.Since(t0).Seconds())
		}
		return best
	}
	res.perSec = pass(pts)
	res.perSecInside = pass(insidePts)

	// Latency: each lookup timed alone (includes ~20–40 ns of timer cost).
	lat := func(ps []point) []time.Duration {
		d := make([]time.Duration, len(ps))
		for i, p := range ps {
			t0 := time.Now()
			_, _ = r.Route(p.lat, p.lng)
			d[i] = time.Since(t0)
		}
		slices.Sort(d)
		return d
	}
	all := lat(pts)
	res.median, res.p99 = all[len(all)/2], all[len(all)*99/100]
	in := lat(insidePts)
	res.medianInside = in[len(in)/2]

	runtime.GC()
	runtime.ReadMemStats(&m0)
	for _, p := range insidePts {
		_, _ = r.Route(p.lat, p.lng)
	}
	runtime.ReadMemStats(&m1)
	res.allocsInside = float64(m1.Mallocs-m0.Mallocs) / float64(len(insidePts))
	return res, nil
}
