package cluster

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	soakFor  = flag.Duration("soak", 0, "run TestSoak for this long (e.g. 30m); 0 skips it")
	soakRate = flag.Float64("soak-rate", 20, "TestSoak: alarms per second across the cluster (each with 2 chat messages, 2 positions, a caller feed, answer and end)")
)

// TestSoak runs a steady load against a two-node cluster for -soak and
// samples every node's /metrics (go_goroutines, process_resident_memory_bytes,
// process_open_fds, go_memstats_heap_inuse_bytes). Under load goroutines
// and open files follow the work in flight (each alarm holds a WebSocket
// and requests), so leaks are judged at rest: once the load stops and the
// clients drop their idle connections, each node must come back to its
// idle count from before the load (small slack). Resident memory under load
// must not grow by more than 50 % from the second quarter of the run to the
// last. Run:
//
//	go test ./cluster -run TestSoak -soak 30m -timeout 40m -v
func TestSoak(t *testing.T) {
	if *soakFor <= 0 {
		t.Skip("soak skipped: run with -soak 30m")
	}
	c, _, _ := private(t, 2)
	base := context.Background()
	probe := NewUser("probe", LoopbackIP(0))
	center := centerOf(t, probe, c.Nodes[0].URL(), pointX)

	const citizens = 24
	users := make([]*User, citizens)
	for i := range users {
		u := NewUser(fmt.Sprintf("citizen%d", i), LoopbackIP(200+i))
		ctx, cancel := context.WithTimeout(base, 30*time.Second)
		if err := u.SignInCitizen(ctx, c.Nodes[i%2], phone(4000+i)); err != nil {
			t.Fatal(err)
		}
		cancel()
		users[i] = u
	}
	desks := make([]*User, 4)
	for i := range desks {
		desks[i] = NewUser(fmt.Sprintf("desk%d", i), LoopbackIP(180+i))
		if err := desks[i].SignInOfficer(base, c.Nodes[i%2].URL(), "d"+center); err != nil {
			t.Fatal(err)
		}
	}

	rest := func() map[string]sample {
		for _, u := range append(append([]*User(nil), users...), desks...) {
			u.HTTP.CloseIdleConnections()
		}
		time.Sleep(15 * time.Second) // feeds notice closed sockets; pings stop
		out := map[string]sample{}
		for _, n := range c.Nodes {
			s, err := scrape(n.URL())
			if err != nil {
				t.Fatalf("%s: %v", n.Name, err)
			}
			out[n.Name] = s
		}
		return out
	}
	before := rest()

	ctx, stop := context.WithTimeout(base, *soakFor)
	defer stop()
	var done, failed atomic.Int64
	tick := time.NewTicker(time.Duration(float64(time.Second) / *soakRate))
	defer tick.Stop()
	sem := make(chan struct{}, 64) // bound work in flight if the cluster falls behind
	var wg sync.WaitGroup

	samples := map[string][]sample{}
	var smu sync.Mutex
	interval := *soakFor / 40
	if interval < 5*time.Second {
		interval = 5 * time.Second
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			for _, n := range c.Nodes {
				if s, err := scrape(n.URL()); err == nil {
					smu.Lock()
					samples[n.Name] = append(samples[n.Name], s)
					smu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()

	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
			select {
			case sem <- struct{}{}:
			default:
				failed.Add(1) // the cluster is behind: count, do not pile up
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if soakOne(ctx, c, users[i%citizens], desks[i%len(desks)], i) {
					done.Add(1)
				} else {
					failed.Add(1)
				}
			}()
			continue
		}
		break
	}
	wg.Wait()

	after := rest()
	res := map[string]any{"duration_s": soakFor.Seconds(), "rate_per_s": *soakRate, "alarms_done": done.Load(), "alarms_failed_or_skipped": failed.Load()}
	for _, n := range c.Nodes {
		ss := samples[n.Name]
		if len(ss) < 8 {
			t.Fatalf("%s: only %d samples", n.Name, len(ss))
		}
		q := len(ss) / 4
		early, late := ss[q:2*q], ss[3*q:]
		m := func(f func(sample) float64, part []sample) float64 { return median(part, f) }
		gor := func(s sample) float64 { return s.goroutines }
		rss := func(s sample) float64 { return s.rss / (1 << 20) }
		fds := func(s sample) float64 { return s.fds }
		heap := func(s sample) float64 { return s.heap / (1 << 20) }
		res[n.Name] = map[string]any{
			"samples":              len(ss),
			"goroutines_q2_q4":     []float64{m(gor, early), m(gor, late)},
			"rss_mib_q2_q4":        []float64{m(rss, early), m(rss, late)},
			"open_fds_q2_q4":       []float64{m(fds, early), m(fds, late)},
			"heap_inuse_mib_q2_q4": []float64{m(heap, early), m(heap, late)},
			"series_goroutines":    series(ss, gor),
			"series_rss_mib":       series(ss, rss),
			"series_fds":           series(ss, fds),
		}
		b, a := before[n.Name], after[n.Name]
		res[n.Name].(map[string]any)["at_rest_before_after"] = map[string]any{
			"goroutines": []float64{b.goroutines, a.goroutines}, "open_fds": []float64{b.fds, a.fds},
			"rss_mib": []float64{b.rss / (1 << 20), a.rss / (1 << 20)}, "heap_inuse_mib": []float64{b.heap / (1 << 20), a.heap / (1 << 20)}}
		if a.goroutines > b.goroutines+20 {
			t.Errorf("%s: goroutines at rest grew %v → %v", n.Name, b.goroutines, a.goroutines)
		}
		if a.fds > b.fds+10 {
			t.Errorf("%s: open files at rest grew %v → %v", n.Name, b.fds, a.fds)
		}
		if m(rss, late) > m(rss, early)*1.5+16 {
			t.Errorf("%s: resident memory grew %.0f → %.0f MiB", n.Name, m(rss, early), m(rss, late))
		}
	}
	writeResult(t, "soak", res)
}

// soakOne is one alarm's life: raise, follow, answer, two messages each
// way-ish, two positions, end.
func soakOne(ctx context.Context, c *Cluster, u, desk *User, i int) bool {
	urls := c.URLs()
	a, b := urls[i%len(urls)], urls[(i+1)%len(urls)]
	r, err := u.Do(ctx, a, "POST", "/api/v1/alarms", http.Header{"Idempotency-Key": {fmt.Sprintf("soak-%d", i)}},
		map[string]any{"kind": "text", "location": pointX, "text": "soak"})
	if err != nil || r.Status != http.StatusCreated {
		return false
	}
	var al struct{ ID string }
	if r.JSON(&al) != nil {
		return false
	}
	f, err := u.OpenFeed(ctx, a, "/api/v1/alarms/"+al.ID+"/feed")
	if err == nil {
		defer f.Close()
	}
	steps := []struct {
		u      *User
		base   string
		method string
		path   string
		body   any
	}{
		{desk, b, "POST", "/answer", nil},
		{u, a, "POST", "/messages", map[string]string{"text": "soak caller"}},
		{u, a, "POST", "/positions", pointX},
		{desk, b, "POST", "/messages", map[string]string{"text": "soak dispatcher"}},
		{u, a, "POST", "/positions", pointX},
		{desk, b, "GET", "/messages", nil},
		{desk, b, "POST", "/end", map[string]string{"disposition": "resolved"}},
	}
	ok := true
	for _, s := range steps {
		r, err := s.u.Do(ctx, s.base, s.method, "/api/v1/alarms/"+al.ID+s.path, nil, s.body)
		if err != nil || r.Status >= 300 {
			ok = false // e.g. another desk answered first: the alarm still counts as load
		}
	}
	return ok
}

type sample struct {
	at                         time.Time
	goroutines, rss, fds, heap float64
}

func scrape(base string) (sample, error) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return sample{}, err
	}
	defer res.Body.Close()
	s := sample{at: time.Now()}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, val, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(val)), 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "go_goroutines":
			s.goroutines = v
		case "process_resident_memory_bytes":
			s.rss = v
		case "process_open_fds":
			s.fds = v
		case "go_memstats_heap_inuse_bytes":
			s.heap = v
		}
	}
	return s, sc.Err()
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if v[j] < v[i] {
				v[i], v[j] = v[j], v[i]
			}
		}
	}
	return v[len(v)/2]
}

func series(ss []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = float64(int(f(s)*10)) / 10
	}
	return out
}
