// Command alarm-bench measures the alarm path end to end in one process:
// raise (HTTP POST) → durable commit → bus wake-up → the console's
// WebSocket feed reads the event from the database → the console has it.
// In the same run it measures the floor that path cannot beat: one durable
// single-row insert plus one bus round trip.
//
//	go run ./bench/alarm -db sqlite -duration 10s
//	go run ./bench/alarm -db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//
// Phases: floor (sequential), latency (raises paced at -rate with chat and
// position writes mixed in, console latency per alarm), throughput (-workers
// raising as fast as they can, each alarm followed by one chat message and
// one position update; alarms/s counted).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/alarm"
	"open110/geo"
	"open110/platform/bus"
	"open110/platform/db"
)

func main() {
	dbURL := flag.String("db", "sqlite", `"sqlite" (embedded default) or a postgres:// URL (a fresh database is created and dropped)`)
	natsURL := flag.String("nats", "", "external NATS URL (default embedded)")
	dur := flag.Duration("duration", 10*time.Second, "length of the throughput phase")
	rate := flag.Int("rate", 50, "alarms per second in the latency phase")
	latN := flag.Int("latency-alarms", 500, "alarms in the latency phase")
	workers := flag.Int("workers", 32, "concurrent raisers in the throughput phase")
	floorN := flag.Int("floor", 500, "floor iterations")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "alarm-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "alarm-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dbURL, *natsURL, *dur, *rate, *latN, *workers, *floorN); err != nil {
		fmt.Fprintln(os.Stderr, "alarm-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dbURL, natsURL string, dur time.Duration, rate, latN, workers, floorN int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "alarm-bench-")
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
	log := slog.New(slog.DiscardHandler)
	d, err := db.Open(ctx, url, dir, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, alarm.Migrations()); err != nil {
		return err
	}
	if _, err := d.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench_floor (id TEXT PRIMARY KEY, at BIGINT NOT NULL, data TEXT NOT NULL)"); err != nil {
		return err
	}
	b, err := bus.Open(ctx, bus.Config{URL: natsURL, DataDir: dir}, log)
	if err != nil {
		return err
	}
	defer b.Close()
	gr, err := geo.Load()
	if err != nil {
		return err
	}
	s, err := alarm.New(alarm.Config{}, alarm.Deps{DB: d, Bus: b, Router: alarm.GeoRouter(gr), Log: log})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	s.Register(mux)
	srv := httptest.NewServer(auth(mux))
	defer srv.Close()

	fmt.Printf("# alarm bench: %s, bus %s, %s/%s, %d CPU, %s\n", d.Dialect, busName(natsURL), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))

	floor, err := measureFloor(ctx, d, b, floorN)
	if err != nil {
		return err
	}
	report("floor (durable insert + bus round trip)", floor)

	con, err := openConsole(srv.URL)
	if err != nil {
		return err
	}
	defer con.close()

	// Latency phase: paced raises, each with a message and a position.
	var lat []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := 0; i < latN; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := oneAlarm(srv.URL, con, fmt.Sprintf("lat%06d", i), true)
			if err != nil {
				fmt.Fprintln(os.Stderr, "latency raise:", err)
				return
			}
			mu.Lock()
			lat = append(lat, l)
			mu.Unlock()
		}(i)
	}
	tick.Stop()
	wg.Wait()
	report(fmt.Sprintf("raise → console event at %d alarms/s (+1 chat +1 position each)", rate), lat)

	// Throughput phase.
	var n, fails atomic.Int64
	var tl []time.Duration
	deadline := time.Now().Add(dur)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				l, err := oneAlarm(srv.URL, con, fmt.Sprintf("t%03d%06d", w, i), false)
				if err != nil {
					fails.Add(1)
					continue
				}
				n.Add(1)
				mu.Lock()
				tl = append(tl, l)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("throughput: %d alarms in %s = %.0f alarms/s sustained (each +1 chat +1 position: %.0f writes/s), %d workers, %d failures\n",
		n.Load(), el.Truncate(time.Millisecond), float64(n.Load())/el.Seconds(), 3*float64(n.Load())/el.Seconds(), workers, fails.Load())
	report("raise → console event under saturation", tl)
	p99 := pct(lat, 99)
	fp99 := pct(floor, 99)
	fmt.Printf("verdict: paced p99 %s vs floor p99 %s = %.2f× (target ≤ 3×)\n", p99, fp99, float64(p99)/float64(fp99))
	return nil
}

func busName(u string) string {
	if u == "" {
		return "embedded NATS"
	}
	return "external NATS"
}

// auth stands in for the account middleware: "Bearer c:<id>" is a citizen,
// "Bearer d130102" the dispatcher.
func auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		if h := r.Header.Get("Authorization"); len(h) > 7 {
			tok = h[7:]
		}
		var p account.Principal
		switch {
		case strings.HasPrefix(tok, "c:"):
			p = account.Principal{Kind: account.Citizen, ID: tok[2:], Phone: "+86138" + fmt.Sprintf("%08d", len(tok))}
		case tok == "d130102":
			p = account.Principal{Kind: account.Officer, ID: "o1", Username: "d130102", Role: account.Dispatcher, Center: "130102"}
		}
		if p.Kind != "" {
			r = r.WithContext(account.WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func post(base, token, path, body string) (map[string]any, error) {
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// oneAlarm raises an alarm (positions in 长安区 → centre 130102), waits for
// the console to see it, then writes one chat message and one position.
func oneAlarm(base string, con *console, caller string, wait bool) (time.Duration, error) {
	tok := "c:" + caller
	seen := con.expect(caller)
	t0 := time.Now()
	a, err := post(base, tok, "/api/v1/alarms", `{"kind":"text","location":{"lat":38.0427,"lng":114.5217,"accuracy_m":15},"idempotency_key":"`+caller+`"}`)
	if err != nil {
		return 0, err
	}
	id := a["id"].(string)
	con.bind(caller, id)
	var l time.Duration
	select {
	case at := <-seen:
		l = at.Sub(t0)
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("console never saw %s", id)
	}
	if _, err := post(base, tok, "/api/v1/alarms/"+id+"/messages", `{"text":"有人跟踪我，我在博物馆门口"}`); err != nil {
		return 0, err
	}
	if _, err := post(base, tok, "/api/v1/alarms/"+id+"/positions", `{"lat":38.0430,"lng":114.5220,"accuracy_m":12}`); err != nil {
		return 0, err
	}
	return l, nil
}

// console is one dispatcher's live feed; it reports when each alarm's
// "raised" event arrives.
type console struct {
	c       *websocket.Conn
	mu      sync.Mutex
	byID    map[string]chan time.Time // alarm id → waiter
	pending map[string]time.Time      // raised before bound
	waiters map[string]chan time.Time // caller → waiter until bound
	cancel  context.CancelFunc
}

func openConsole(base string) (*console, error) {
	ctx, cancel := context.WithCancel(context.Background())
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/alarms/feed?access_token=" + url.QueryEscape("d130102")
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	con := &console{c: c, byID: map[string]chan time.Time{}, pending: map[string]time.Time{}, waiters: map[string]chan time.Time{}, cancel: cancel}
	go func() {
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			at := time.Now()
			if !bytes.Contains(b, []byte(`"type":"raised"`)) {
				continue
			}
			var m struct {
				Event struct {
					AlarmID string `json:"alarm_id"`
				} `json:"event"`
			}
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			con.mu.Lock()
			if ch, ok := con.byID[m.Event.AlarmID]; ok {
				ch <- at
				delete(con.byID, m.Event.AlarmID)
			} else {
				con.pending[m.Event.AlarmID] = at
			}
			con.mu.Unlock()
		}
	}()
	return con, nil
}

func (c *console) expect(caller string) chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.waiters[caller] = ch
	c.mu.Unlock()
	return ch
}

func (c *console) bind(caller, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.waiters[caller]
	delete(c.waiters, caller)
	if at, ok := c.pending[id]; ok {
		ch <- at
		delete(c.pending, id)
		return
	}
	c.byID[id] = ch
}

func (c *console) close() { c.cancel(); c.c.CloseNow() }

// measureFloor: one durable single-row insert (its own transaction, the
// same fsync policy as alarms) then one bus publish received by a
// subscriber, sequentially.
func measureFloor(ctx context.Context, d *db.DB, b bus.Bus, n int) ([]time.Duration, error) {
	got := make(chan struct{}, 1)
	subj := "bench.floor." + randHex()
	cancel, err := b.Subscribe(subj, func(string, []byte) { got <- struct{}{} })
	if err != nil {
		return nil, err
	}
	defer cancel()
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO bench_floor (id, at, data) VALUES ($1, $2, $3)", randHex(), time.Now().UnixMicro(), `{"kind":"text"}`)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := b.Publish(ctx, subj, []byte(`{"seq":1}`)); err != nil {
			return nil, err
		}
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			return nil, fmt.Errorf("floor: bus message lost")
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func report(name string, ds []time.Duration) {
	fmt.Printf("%s: n=%d p50=%s p99=%s max=%s\n", name, len(ds), pct(ds, 50).Round(10*time.Microsecond),
		pct(ds, 99).Round(10*time.Microsecond), pct(ds, 100).Round(10*time.Microsecond))
}

func randHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func freshPostgres(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := "open110_bench_" + randHex()
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
