package main

import (
	"errors"
	"runtime"
	"slices"
	"syscall"
	"time"

	"open110/geo"
)

type routerResult struct {
	router       *geo.Router
	load         time.Duration // median of 5 loads
	loadFull     time.Duration // until the first outside answer (background index done)
	loadCPU      time.Duration // CPU time of all threads for loadFull (includes GC)
	heapMB       float64       // live heap held by one router
	median       time.Duration // single lookup, all points (timer overhead included)
	medianInside time.Duration
	// medianDecision: Router.County over all points — the routing decision
	// without the nearest-centre search that outside answers add.
	medianDecision time.Duration
	p99            time.Duration
	perSec         float64 // one goroutine, all points, best of 3, wall clock
	perSecCPU      float64 // the same by thread CPU time
	perSecInside   float64
	allocsInside   float64
	outcomes       []outcome
	inside         int
}

func benchRouter(pts []point) (*routerResult, error) {
	res := &routerResult{}
	var loads, fulls, cpus []time.Duration
	var m0, m1 runtime.MemStats
	for i := range 5 {
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c0 := processCPU()
		t0 := time.Now()
		r, err := geo.Load()
		if err != nil {
			return nil, err
		}
		loads = append(loads, time.Since(t0))
		// The outside-answer index finishes in the background; the first
		// outside answer waits for it. Time until that answer too.
		_, _ = r.Route(39.9087, 116.3975) // Beijing
		fulls = append(fulls, time.Since(t0))
		cpus = append(cpus, processCPU()-c0)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if i == 4 {
			res.router = r
			res.heapMB = float64(m1.HeapAlloc-m0.HeapAlloc) / 1e6
		}
	}
	slices.Sort(loads)
	slices.Sort(fulls)
	slices.Sort(cpus)
	res.load, res.loadFull, res.loadCPU = loads[2], fulls[2], cpus[2]
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

	// Throughput: one goroutine locked to its thread, best of 3 passes, by
	// wall clock and by the thread's CPU time (the machine is shared; CPU
	// time is what the lookups cost when they are not preempted).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pass := func(ps []point) (wall, cpu float64) {
		for range 3 {
			c0 := threadCPU()
			t0 := time.Now()
			for _, p := range ps {
				_, _ = r.Route(p.lat, p.lng)
			}
			wall = max(wall, float64(len(ps))/time.Since(t0).Seconds())
			cpu = max(cpu, float64(len(ps))/(threadCPU()-c0).Seconds())
		}
		return wall, cpu
	}
	res.perSec, res.perSecCPU = pass(pts)
	res.perSecInside, _ = pass(insidePts)

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
	dec := make([]time.Duration, len(pts))
	for i, p := range pts {
		t0 := time.Now()
		r.County(p.lat, p.lng)
		dec[i] = time.Since(t0)
	}
	res.medianDecision = medianOf(dec)

	runtime.GC()
	runtime.ReadMemStats(&m0)
	for _, p := range insidePts {
		_, _ = r.Route(p.lat, p.lng)
	}
	runtime.ReadMemStats(&m1)
	res.allocsInside = float64(m1.Mallocs-m0.Mallocs) / float64(len(insidePts))
	return res, nil
}

// threadCPU is the calling thread's CPU time (user + system).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the process's CPU time (user + system, all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
