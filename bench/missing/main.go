// Command missing measures the missing-person feature's targets (issue 7):
//
//   - feed: p99 of the public feed query (missing.Service.Feed, the code
//     behind GET /api/v1/missing/public) with 10,000 published notices:
//     newest first, by city, and by distance from a point (target < 20 ms);
//   - audience: computing the alert audience among 1,000,000 opted-in users
//     (target < 2 s): the in-memory AreaIndex for a 100 km ring and for a
//     500 km ring that covers the whole province, plus loading the index
//     from the database (the part that touches the DB) on start.
//
// Usage:
//
//	go run ./bench/missing [-db postgres://…] [-notices 10000] [-users 1000000] [-queries 3000]
//
// Without -db it uses a fresh SQLite file (synchronous=FULL, as served).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/missing"
	"open110/platform/db"
)

func main() {
	dbURL := flag.String("db", "", "postgres://… (default: a fresh SQLite file)")
	nNotices := flag.Int("notices", 10000, "published notices")
	nUsers := flag.Int("users", 1000000, "opted-in users")
	nQueries := flag.Int("queries", 3000, "feed queries per kind")
	flag.Parse()
	ctx := context.Background()

	tmp, err := os.MkdirTemp("", "open110-bench-missing")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	url := *dbURL
	if strings.HasPrefix(url, "postgres") {
		var drop func()
		url, drop = freshPostgres(ctx, url)
		defer drop()
	}
	d, err := db.Open(ctx, url, tmp, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx, audit.Migrations(), account.Migrations(), missing.Migrations()); err != nil {
		log.Fatal(err)
	}
	router, err := geo.Load()
	if err != nil {
		log.Fatal(err)
	}
	// Area points: every county's label point, and 0.1° points over Hebei.
	type unit struct {
		code, city string
		lat, lng   float64
	}
	var counties []unit
	for _, u := range geo.Units() {
		if u.Level != geo.LevelCounty {
			continue
		}
		f, _ := router.Boundary(u.Code, 0)
		counties = append(counties, unit{u.Code, u.Parent, f.Properties.Label[1], f.Properties.Label[0]})
	}
	rng := rand.New(rand.NewPCG(7, 11))
	fmt.Printf("backend %s, GOMAXPROCS %d, %s\n", d.Dialect, runtime.GOMAXPROCS(0), runtime.Version())

	// 10,000 published notices over the province's counties, one a minute.
	start := time.Now()
	now := time.Now().UTC()
	const batch = 500
	for i := 0; i < *nNotices; i += batch {
		var vals []string
		var args []any
		for j := i; j < min(i+batch, *nNotices); j++ {
			c := counties[rng.IntN(len(counties))]
			lat, lng := c.lat+rng.NormFloat64()*0.05, c.lng+rng.NormFloat64()*0.05
			pub := now.Add(-time.Duration(*nNotices-j) * time.Minute)
			n := len(args)
			vals = append(vals, fmt.Sprintf("(%s, '某地', $%d, 'parent', '+8613800000000', $%d, $%d, '红衣')", db.Placeholders(n+1, 14), n+4, n+14, n+14))
			args = append(args, account.NewID("mp"), "c_bench", "published", c.city, c.code, "0311-86688110",
				fmt.Sprintf("A%s000000202501%04d", c.code, j%10000), "寻人"+fmt.Sprint(j), "male", 10,
				db.Micros(pub.Add(-time.Hour)), lat, lng, db.Micros(pub))
		}
		_, err := d.Exec(ctx, `INSERT INTO missing_notices (id, citizen_id, state, center_code, unit_code, unit_phone, case_number, person_name, sex, age,
			last_seen_at, lat, lng, published_at, place, city_code, relation, contact_phone, created_at, updated_at, clothing)
			VALUES `+strings.Join(vals, ", "), args...)
		if err != nil {
			log.Fatalf("insert notices: %v", err)
		}
	}
	if d.Dialect == db.Postgres {
		d.Exec(ctx, "ANALYZE missing_notices")
	} else {
		d.Exec(ctx, "ANALYZE")
	}
	fmt.Printf("loaded %d published notices in %v\n", *nNotices, time.Since(start).Round(time.Millisecond))

	svc := missing.New(missing.Deps{DB: d})
	cities := []string{"130100", "130200", "130300", "130400", "130500", "130600", "130700", "130800", "130900", "131000", "131100"}
	kinds := []struct {
		name string
		q    func() missing.FeedQuery
	}{
		{"newest first, first page", func() missing.FeedQuery { return missing.FeedQuery{} }},
		{"by city", func() missing.FeedQuery { return missing.FeedQuery{City: cities[rng.IntN(len(cities))]} }},
		{"within 50 km of a point", func() missing.FeedQuery {
			c := counties[rng.IntN(len(counties))]
			return missing.FeedQuery{Near: &missing.Position{Lat: c.lat, Lng: c.lng}, WithinKm: 50}
		}},
		{"city + within 20 km", func() missing.FeedQuery {
			c := counties[rng.IntN(len(counties))]
			return missing.FeedQuery{City: c.city, Near: &missing.Position{Lat: c.lat, Lng: c.lng}, WithinKm: 20}
		}},
	}
	var all []time.Duration
	for _, k := range kinds {
		var ds []time.Duration
		// Each query also fetches the next page once (a scrolling reader).
		for i := 0; i < *nQueries; i++ {
			q := k.q()
			t0 := time.Now()
			p, err := svc.Feed(ctx, q)
			ds = append(ds, time.Since(t0))
			if err != nil {
				log.Fatal(err)
			}
			if i%3 == 0 && p.Next != "" {
				q.Before = p.Next
				t0 = time.Now()
				if _, err := svc.Feed(ctx, q); err != nil {
					log.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
		}
		all = append(all, ds...)
		fmt.Printf("feed %-26s n=%d %s\n", k.name, len(ds), pct(ds))
	}
	fmt.Printf("feed %-26s n=%d %s\n", "all", len(all), pct(all))

	// 1,000,000 opted-in users: 60% chose a county, 40% a point (0.1°).
	start = time.Now()
	x := missing.NewAreaIndex()
	type opt struct {
		id       string
		county   string
		lat, lng float64
	}
	users := make([]opt, *nUsers)
	for i := range users {
		o := opt{id: fmt.Sprintf("c_%016x%016x", rng.Uint64(), rng.Uint64())}
		if rng.IntN(10) < 6 {
			c := counties[rng.IntN(len(counties))]
			o.county, o.lat, o.lng = c.code, round(c.lat, 0.001), round(c.lng, 0.001)
		} else {
			o.lat, o.lng = round(36.05+rng.Float64()*6.6, 0.1), round(113.45+rng.Float64()*6.4, 0.1)
		}
		users[i] = o
		x.Set(o.id, o.lat, o.lng)
	}
	fmt.Printf("built the area index of %d users in %v (heap %d MiB)\n", x.Len(), time.Since(start).Round(time.Millisecond), heapMiB())
	centre := missing.Position{Lat: 38.04, Lng: 114.51} // Shijiazhuang
	for _, ring := range []struct {
		name         string
		inner, outer float64
	}{{"0–100 km (publish, < 1 h)", -1, 100}, {"300–500 km (widening at 3 h)", 300, 500}, {"0–500 km (closure / published late)", -1, 500}} {
		var ds []time.Duration
		var n int
		for i := 0; i < 7; i++ {
			t0 := time.Now()
			aud := x.Audience(centre.Lat, centre.Lng, ring.inner, ring.outer)
			ds = append(ds, time.Since(t0))
			n = len(aud)
		}
		slices.Sort(ds)
		fmt.Printf("audience %-36s users=%d median %v max %v\n", ring.name, n, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}

	// The part that touches the DB: store the opt-ins, then load the index
	// from them as a node does on start.
	start = time.Now()
	for i := 0; i < len(users); i += batch {
		var vals []string
		var args []any
		for _, o := range users[i:min(i+batch, len(users))] {
			n := len(args)
			vals = append(vals, fmt.Sprintf("($%d, 1, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+5))
			args = append(args, o.id, o.county, o.lat, o.lng, db.Micros(now))
		}
		if _, err := d.Exec(ctx, "INSERT INTO missing_optins (citizen_id, enabled, county_code, lat, lng, optin_at, updated_at) VALUES "+strings.Join(vals, ", "), args...); err != nil {
			log.Fatalf("insert opt-ins: %v", err)
		}
	}
	fmt.Printf("stored %d opt-ins in %v\n", len(users), time.Since(start).Round(time.Millisecond))
	users = nil
	x = nil
	runtime.GC()
	var loads []time.Duration
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		y, _, err := missing.LoadAreaIndex(ctx, d)
		if err != nil {
			log.Fatal(err)
		}
		loads = append(loads, time.Since(t0))
		if y.Len() != *nUsers {
			log.Fatalf("loaded %d", y.Len())
		}
		t0 = time.Now()
		aud := y.Audience(centre.Lat, centre.Lng, -1, 500)
		fmt.Printf("load %d: index from the DB in %v, then the 500 km audience (%d) in %v\n", i+1, loads[i].Round(time.Millisecond), len(aud), time.Since(t0).Round(time.Microsecond))
		runtime.GC()
	}
}

func round(v, step float64) float64 {
	r := float64(int64(v/step+0.5)) * step
	return float64(int64(r*1e6+0.5)) / 1e6
}

func pct(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))].Round(time.Microsecond) }
	return fmt.Sprintf("p50 %v p90 %v p99 %v max %v", q(.5), q(.9), q(.99), s[len(s)-1].Round(time.Microsecond))
}

func heapMiB() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc >> 20
}

// freshPostgres creates a database for this run and returns its URL and
// a func that drops it.
func freshPostgres(ctx context.Context, base string) (string, func()) {
	d, err := db.Open(ctx, base, "", nil)
	if err != nil {
		log.Fatal(err)
	}
	name := fmt.Sprintf("open110_bench_missing_%d", time.Now().UnixNano())
	if _, err := d.SQL().ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.Index(base[i:], "?"); j >= 0 {
		q = base[i+j:]
	}
	drop := func() {
		if _, err := d.SQL().ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			log.Printf("drop %s: %v", name, err)
		}
		d.Close()
	}
	return base[:i] + "/" + name + q, drop
}
