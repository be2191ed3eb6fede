// Command geo benchmarks open110's router against PostGIS on the same
// polygons and the same rules, and writes the "Routing (issue 3)" section
// of bench/RESULTS.md.
//
//	go run ./bench/geo                       # 100,000 points, writes bench/RESULTS.md
//	go run ./bench/geo -n 20000 -write=false # quick look
//
// It needs PostgreSQL with PostGIS at -dsn (a superuser: it drops and
// creates the database open110_geobench).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"

	"open110/geo/coord"
)

// Hebei's bounding box (WGS-84, rounded outwards). About 45% of it is Hebei;
// the rest is Beijing, Tianjin, the Bohai Sea and five neighbouring provinces,
// so the benchmark exercises the outside path as much as the inside one.
const (
	minLat, maxLat = 36.0, 42.7
	minLng, maxLng = 113.4, 119.9
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (superuser)")
	n := flag.Int("n", 100000, "random points")
	seed := flag.Uint64("seed", 110, "random seed")
	conns := flag.Int("conns", 2, "PostGIS client connections for the per-point run")
	write := flag.Bool("write", true, "write the results into -results")
	results := flag.String("results", "bench/RESULTS.md", "results file")
	flag.Parse()
	if err := run(context.Background(), *dsn, *n, *seed, *conns, *write, *results); err != nil {
		log.Fatal(err)
	}
}

// point is one random position: WGS-84 in, GCJ-02 as both sides test it.
type point struct {
	lat, lng   float64 // WGS-84
	gLat, gLng float64 // GCJ-02 (geo/coord): the data's datum
}

// outcome is a routing decision, comparable between the two sides.
type outcome struct {
	county  string // "" when outside
	gap     bool
	nearest string // nearest county when outside
}

func run(ctx context.Context, dsn string, n int, seed uint64, conns int, write bool, results string) error {
	rng := rand.New(rand.NewPCG(seed, seed))
	pts := make([]point, n)
	for i := range pts {
		p := point{lat: minLat + rng.Float64()*(maxLat-minLat), lng: minLng + rng.Float64()*(maxLng-minLng)}
		p.gLat, p.gLng = coord.WGS84ToGCJ02(p.lat, p.lng)
		pts[i] = p
	}
	mine, err := benchRouter(pts)
	if err != nil {
		return err
	}
	log.Printf("router: load %v, heap %.1f MB, median %v (inside %v), %.0f lookups/s, %.2f allocs/lookup inside",
		mine.load, mine.heapMB, mine.median, mine.medianInside, mine.perSec, mine.allocsInside)
	pg, err := benchPostGIS(ctx, dsn, pts, mine.router, conns)
	if err != nil {
		return fmt.Errorf("postgis: %w", err)
	}
	defer pg.Close(ctx)
	log.Printf("postgis: per-point %.0f/s (%d conns), set-based %.0f/s (%.0f/s by backend CPU time)", pg.perPointPerSec, conns, pg.bulkPerSec, pg.bulkPerSecCPU)
	// Re-measure the router now: the machine's load changes over minutes,
	// and the ratio must not flatter us; keep the lower figures.
	if again, err := benchRouter(pts); err == nil {
		mine.perSec = min(mine.perSec, again.perSec)
		mine.perSecCPU = min(mine.perSecCPU, again.perSecCPU)
	}
	cmp := compare(pts, mine.outcomes, pg.outcomes, pg)
	log.Printf("agreement: %d/%d routing decisions, %d/%d nearest centres", cmp.agree, n, cmp.nearestAgree, cmp.outsideBoth)
	for _, d := range cmp.disagreements {
		log.Printf("  disagree: %s", d)
	}
	if !write {
		return nil
	}
	return writeResults(results, report(n, seed, conns, mine, pg, cmp))
}
