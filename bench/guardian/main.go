// Command guardian-bench measures 亲友互助 at load, in-process on the real
// store (SQLite with synchronous=FULL by default, or PostgreSQL):
//
//	go run ./bench/guardian -mode ingest -duration 10s
//	go run ./bench/guardian -mode fanout -trips 10000 -rate 1000 -duration 20s
//	(add -db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable for PostgreSQL)
//
// ingest: -clients goroutines each upload batches of -batch points to random
// active trips through guardian.Service.AddPoints (durable: the call returns
// after the group commit). Points/s are counted over -duration.
//
// fanout: -trips active trips, each watched by its guardian over the real
// WebSocket live view (/api/v1/trips/{id}/feed, served by httptest). The
// guardians run in a child process (10,000 connections need 20,000 sockets;
// each process keeps its own half under the file limit). Points are uploaded
// one at a time to random trips at -rate/s, each stamped with its send time;
// the guardian computes latency = receipt of the update − send time.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	crand "crypto/rand"

	"github.com/coder/websocket"

	"open110/account"
	"open110/audit"
	"open110/guardian"
	"open110/platform/api"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
)

func main() {
	mode := flag.String("mode", "ingest", "ingest, fanout (or client: internal)")
	dbURL := flag.String("db", "sqlite", `"sqlite" (embedded default) or a postgres:// URL (a fresh database is created and dropped)`)
	dur := flag.Duration("duration", 10*time.Second, "measured time")
	trips := flag.Int("trips", 1000, "active trips")
	clients := flag.Int("clients", 64, "ingest: concurrent uploaders")
	batch := flag.Int("batch", 100, "ingest: points per upload")
	rate := flag.Int("rate", 1000, "fanout: point uploads per second (one point each)")
	server := flag.String("server", "", "client: server URL")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var err error
	switch *mode {
	case "ingest", "fanout":
		err = run(*mode, *dbURL, *dur, *trips, *clients, *batch, *rate)
	case "client":
		err = client(*server, *dur)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "guardian-bench:", err)
		os.Exit(1)
	}
}

type citizens struct{}

func (citizens) CitizenByPhone(context.Context, string) (string, error) {
	return "", guardian.ErrNotRegistered
}

type noAlarms struct{}

func (noAlarms) RaiseLinked(context.Context, guardian.AlarmRequest) (guardian.AlarmRef, error) {
	return guardian.AlarmRef{}, fmt.Errorf("not in this bench")
}
func (noAlarms) Access(context.Context, account.Principal, string) (guardian.AlarmAccess, error) {
	return guardian.AlarmAccess{}, fmt.Errorf("not in this bench")
}

func run(mode, dbURL string, dur time.Duration, trips, clients, batch, rate int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "guardian-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	url := ""
	if strings.HasPrefix(dbURL, "postgres") {
		u, drop, err := freshPostgres(ctx, dbURL)
		if err != nil {
			return err
		}
		defer drop()
		url = u
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := db.Open(ctx, url, dir, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, audit.Migrations(), guardian.Migrations()); err != nil {
		return err
	}
	b, err := bus.Open(ctx, bus.Config{DataDir: dir}, log)
	if err != nil {
		return err
	}
	defer b.Close()
	bl, err := blob.OpenFS(dir)
	if err != nil {
		return err
	}
	g := guardian.New(guardian.Config{}, guardian.Deps{DB: d, Bus: b, Blob: bl, Citizens: citizens{}, Alarms: noAlarms{}, Log: log})
	defer g.Close()
	owners, err := seed(ctx, d, trips)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d CPUs, %s/%s, %s; store: %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), d.Dialect)
	if mode == "ingest" {
		return ingest(ctx, g, owners, dur, clients, batch)
	}
	return fanout(ctx, g, owners, dur, rate)
}

type owner struct {
	p    account.Principal
	trip string
	seq  atomic.Int64
}

// seed creates active trips, each with one accepted guardian, in bulk (the
// set-up is not what is measured).
func seed(ctx context.Context, d *db.DB, n int) ([]*owner, error) {
	now := time.Now()
	out := make([]*owner, n)
	for lo := 0; lo < n; lo += 1000 {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				oid, gid := fmt.Sprintf("c_owner%06d", i), fmt.Sprintf("c_guard%06d", i)
				ophone, gphone := fmt.Sprintf("+86138%08d", i), fmt.Sprintf("+86139%08d", i)
				lid, tid := fmt.Sprintf("glbench%06d", i), fmt.Sprintf("tbench%06d", i)
				us := db.Micros(now)
				if _, err := tx.Exec(ctx, `INSERT INTO guardian_links (id, owner_id, owner_phone, guardian_id, guardian_phone, state, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, 'accepted', $6, $6)`, lid, oid, ophone, gid, gphone, us); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO trips (id, owner_id, owner_phone, mode, state, started_at, last_seen_at)
					VALUES ($1, $2, $3, 'taxi', 'active', $4, $4)`, tid, oid, ophone, us-60_000_000); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "INSERT INTO trip_guardians (trip_id, guardian_id, link_id) VALUES ($1, $2, $3)", tid, gid, lid); err != nil {
					return err
				}
				out[i] = &owner{p: account.Principal{Kind: account.Citizen, ID: oid, Phone: ophone}, trip: tid}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return out, nil
}

func ingest(ctx context.Context, g *guardian.Service, owners []*owner, dur time.Duration, clients, batch int) error {
	var points, batches, errs atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				o := owners[rand.IntN(len(owners))]
				pts := make([]guardian.Point, batch)
				now := time.Now()
				for k := range pts {
					pts[k] = guardian.Point{Seq: o.seq.Add(1), At: now, Position: guardian.Position{Lat: 38 + rand.Float64()*0.1, Lng: 114.5 + rand.Float64()*0.1, AccuracyM: 8}}
				}
				t0 := time.Now()
				res, err := g.AddPoints(ctx, o.p, o.trip, pts)
				mine = append(mine, time.Since(t0))
				if err != nil {
					errs.Add(1)
					continue
				}
				points.Add(int64(res.Accepted))
				batches.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	start := time.Now()
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	fmt.Printf("ingest: %d points in %d batches of %d from %d clients over %d trips in %.1fs: %.0f points/s, %.0f batches/s; batch ack p50 %s p99 %s; errors %d\n",
		points.Load(), batches.Load(), batch, clients, len(owners), el.Seconds(), float64(points.Load())/el.Seconds(), float64(batches.Load())/el.Seconds(),
		pct(lat, 0.50), pct(lat, 0.99), errs.Load())
	return nil
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(10 * time.Microsecond)
}

func fanout(ctx context.Context, g *guardian.Service, owners []*owner, dur time.Duration, rate int) error {
	who := map[string]account.Principal{}
	var list strings.Builder
	for i, o := range owners {
		tok := fmt.Sprintf("g%06d", i)
		who[tok] = account.Principal{Kind: account.Citizen, ID: fmt.Sprintf("c_guard%06d", i)}
		fmt.Fprintf(&list, "%s %s\n", o.trip, tok)
	}
	mux := http.NewServeMux()
	g.Register(mux)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := who[r.URL.Query().Get("access_token")]; ok {
			r = r.WithContext(account.WithPrincipal(r.Context(), p))
		}
		r = r.WithContext(api.WithClientIP(r.Context(), "127.0.0.1"))
		mux.ServeHTTP(w, r)
	}))
	srv.Start()
	defer srv.Close()

	// The guardians: a child process (its own file-descriptor budget).
	cmd := exec.Command(os.Args[0], "-mode", "client", "-server", srv.URL, "-duration", dur.String())
	cmd.Stdin = strings.NewReader(list.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "connected") {
		return fmt.Errorf("client did not connect: %q", sc.Text())
	}
	fmt.Println(sc.Text())
	// Uploads: one point to a random trip every 1/rate s, stamped with its
	// send time, until the client has measured for the duration.
	done := make(chan struct{})
	var sent, failed atomic.Int64
	go func() {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		var wg sync.WaitGroup
		for {
			select {
			case <-done:
				wg.Wait()
				return
			case <-t.C:
			}
			o := owners[rand.IntN(len(owners))]
			wg.Add(1)
			go func() {
				defer wg.Done()
				now := time.Now()
				_, err := g.AddPoints(ctx, o.p, o.trip, []guardian.Point{{Seq: o.seq.Add(1), At: now, Position: guardian.Position{Lat: 38.04, Lng: 114.52, AccuracyM: 8}}})
				if err != nil {
					failed.Add(1)
				}
				sent.Add(1)
			}()
		}
	}()
	for sc.Scan() {
		fmt.Println(sc.Text())
	}
	close(done)
	if err := cmd.Wait(); err != nil {
		return err
	}
	fmt.Printf("uploads: %d sent at %d/s, %d failed; server goroutines at end %d\n", sent.Load(), rate, failed.Load(), runtime.NumGoroutine())
	return nil
}

// client connects one guardian live view per line "tripID token" of
// stdin, then for -duration records, for every point an update carries,
// the delay from its capture stamp (the uploader's send time) to now.
func client(server string, dur time.Duration) error {
	ws := strings.Replace(server, "http", "ws", 1)
	var pairs [][2]string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			pairs = append(pairs, [2]string{f[0], f[1]})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var updates, snapshots atomic.Int64
	measuring := atomic.Bool{}
	var ready sync.WaitGroup
	errc := make(chan error, 1)
	sem := make(chan struct{}, 64)
	for _, p := range pairs {
		ready.Add(1)
		sem <- struct{}{}
		go func() {
			conn, _, err := websocket.Dial(ctx, ws+"/api/v1/trips/"+p[0]+"/feed?access_token="+p[1], nil)
			<-sem
			if err != nil {
				select {
				case errc <- err:
				default:
				}
				ready.Done()
				return
			}
			conn.SetReadLimit(1 << 20)
			first := true
			for {
				_, b, err := conn.Read(ctx)
				if err != nil {
					if first {
						ready.Done()
					}
					return
				}
				now := time.Now()
				if first {
					first = false
					snapshots.Add(1)
					ready.Done()
					continue
				}
				var u struct {
					Points []struct{ At time.Time } `json:"points"`
				}
				if json.Unmarshal(b, &u) != nil || !measuring.Load() {
					continue
				}
				updates.Add(1)
				mu.Lock()
				for _, pt := range u.Points {
					lat = append(lat, now.Sub(pt.At))
				}
				mu.Unlock()
			}
		}()
	}
	ready.Wait()
	select {
	case err := <-errc:
		return fmt.Errorf("connect: %w", err)
	default:
	}
	fmt.Printf("connected %d guardian live views (%d snapshots)\n", len(pairs), snapshots.Load())
	time.Sleep(2 * time.Second) // let the uploads start
	measuring.Store(true)
	time.Sleep(dur)
	measuring.Store(false)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	fmt.Printf("fan-out: %d points over %d updates in %s: latency p50 %s p90 %s p99 %s max %s\n", len(lat), updates.Load(), dur,
		pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 1))
	return nil
}

func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 4)
	_, _ = crand.Read(b)
	name := "open110_gbench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}
