package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chaosPlan sizes a chaos run. The CI version is short; OPEN110_CHAOS=1
// runs the heavy one.
type chaosPlan struct {
	Nodes       int
	Citizens    int
	Dispatchers int
	Load        time.Duration // how long new work is started
	Faults      []fault       // at offsets from the start of the load
}

type fault struct {
	At   time.Duration
	What string // kill-node:<i>, start-node:<i>, restart-nats, restart-postgres
}

func planFor() chaosPlan {
	if os.Getenv("OPEN110_CHAOS") == "1" {
		return chaosPlan{Nodes: 3, Citizens: 40, Dispatchers: 4, Load: 150 * time.Second, Faults: []fault{
			{10 * time.Second, "kill-node:1"}, {20 * time.Second, "start-node:1"},
			{30 * time.Second, "restart-nats"},
			{45 * time.Second, "restart-postgres"},
			{60 * time.Second, "kill-node:0"}, {62 * time.Second, "restart-nats"}, {75 * time.Second, "start-node:0"},
			{90 * time.Second, "kill-node:2"}, {92 * time.Second, "restart-postgres"}, {105 * time.Second, "start-node:2"},
			{120 * time.Second, "restart-nats"}, {121 * time.Second, "restart-postgres"},
		}}
	}
	return chaosPlan{Nodes: 2, Citizens: 8, Dispatchers: 2, Load: 30 * time.Second, Faults: []fault{
		{5 * time.Second, "kill-node:1"}, {9 * time.Second, "start-node:1"},
		{14 * time.Second, "restart-nats"},
		{20 * time.Second, "restart-postgres"},
	}}
}

// ledger is what clients were told (acknowledged) during the run.
type ledger struct {
	mu        sync.Mutex
	alarms    map[string][]string // idempotency key → alarm ids answered for it (all must be equal)
	keys      map[string]string   // idempotency key → caller phone
	messages  map[string]string   // message id → text (acknowledged with 201)
	sentTexts map[string]bool     // every text ever sent (acked or not)
	positions map[string]int64    // "alarm/seq" acknowledged
	failures  map[string]int      // operations given up on, by kind
	retries   atomic.Int64
	ops       atomic.Int64
}

func newLedger() *ledger {
	return &ledger{alarms: map[string][]string{}, keys: map[string]string{}, messages: map[string]string{},
		sentTexts: map[string]bool{}, positions: map[string]int64{}, failures: map[string]int{}}
}

func (l *ledger) fail(kind string) {
	l.mu.Lock()
	l.failures[kind]++
	l.mu.Unlock()
}

// TestChaos runs a load of alarms with chat and position updates through
// the HTTP API, as citizens and dispatchers, against a cluster while a node
// is SIGKILLed (and restarted), NATS is restarted and PostgreSQL crashes
// and restarts. Clients fail over between nodes and retry with the same
// idempotency key. Afterwards it counts, from the database: acknowledged
// alarms lost (must be 0), alarms duplicated (must be 0), acknowledged chat
// messages lost (must be 0), acknowledged positions lost (must be 0), and
// that a console feed resuming with its cursor across the faults saw every
// acknowledged alarm and message; and that the audit chain still verifies.
// Chat messages have no idempotency key in the API, so a retry after an
// answer lost in a crash can store a message twice: counted and reported,
// not failed.
func TestChaos(t *testing.T) {
	plan := planFor()
	c, pg, nats := private(t, plan.Nodes)
	base := context.Background()

	probe := NewUser("probe", LoopbackIP(0))
	center := centerOf(t, probe, c.Nodes[0].URL(), pointX)

	citizens := make([]*User, plan.Citizens)
	for i := range citizens {
		u := NewUser(fmt.Sprintf("citizen%d", i), LoopbackIP(100+i))
		ctx, cancel := context.WithTimeout(base, 30*time.Second)
		if err := u.SignInCitizen(ctx, c.Nodes[i%len(c.Nodes)], phone(2000+i)); err != nil {
			t.Fatal(err)
		}
		cancel()
		citizens[i] = u
	}
	dispatchers := make([]*User, plan.Dispatchers)
	for i := range dispatchers {
		u := NewUser(fmt.Sprintf("dispatcher%d", i), LoopbackIP(50+i))
		if err := u.SignInOfficer(base, c.Nodes[i%len(c.Nodes)].URL(), "d"+center); err != nil {
			t.Fatal(err)
		}
		dispatchers[i] = u
	}
	watcher := NewUser("watcher", LoopbackIP(60))
	if err := watcher.SignInOfficer(base, c.Nodes[0].URL(), "admin"); err != nil {
		t.Fatal(err)
	}

	led := newLedger()
	seen := newFeedSeen()
	loadCtx, stopLoad := context.WithTimeout(base, plan.Load)
	defer stopLoad()
	watchCtx, stopWatch := context.WithCancel(base)
	defer stopWatch()
	var wg, watchWG sync.WaitGroup
	watchWG.Add(1)
	go func() { defer watchWG.Done(); watchFeed(watchCtx, watcher, c.URLs, seen) }()
	// The console is open before the first alarm: everything after its
	// snapshot must reach it as events.
	for deadline := time.Now().Add(30 * time.Second); !seen.synced(); {
		if time.Now().After(deadline) {
			t.Fatal("the console feed did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Faults.
	var timeline []string
	var tlMu sync.Mutex
	note := func(s string) {
		tlMu.Lock()
		timeline = append(timeline, s)
		tlMu.Unlock()
		t.Log(s)
	}
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, f := range plan.Faults {
			select {
			case <-time.After(time.Until(start.Add(f.At))):
			case <-loadCtx.Done():
				return
			}
			t0 := time.Now()
			var err error
			switch {
			case strings.HasPrefix(f.What, "kill-node:"):
				c.Nodes[atoi(f.What[10:])].Kill()
			case strings.HasPrefix(f.What, "start-node:"):
				err = c.Nodes[atoi(f.What[11:])].Start()
			case f.What == "restart-nats":
				err = nats.Restart()
			case f.What == "restart-postgres":
				err = pg.Restart()
			}
			note(fmt.Sprintf("t=%5.1fs %s (%.1fs) err=%v", time.Since(start).Seconds(), f.What, time.Since(t0).Seconds(), err))
			if err != nil {
				t.Errorf("fault %s: %v", f.What, err)
			}
		}
	}()

	// Citizens raise, talk and move; dispatchers answer, talk and close.
	for i, u := range citizens {
		wg.Add(1)
		go func() { defer wg.Done(); citizenLoop(loadCtx, t, c, u, i, led) }()
	}
	for i, u := range dispatchers {
		wg.Add(1)
		go func() { defer wg.Done(); dispatcherLoop(loadCtx, c, u, i, led) }()
	}
	wg.Wait()
	note(fmt.Sprintf("t=%5.1fs load ended", time.Since(start).Seconds()))

	// Every node back up, then let the feed watcher catch up.
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	dbh := DB(t, c.DB)
	var head int64
	if err := dbh.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM alarm_events").Scan(&head); err != nil {
		t.Fatal(err)
	}
	catchUp := time.Now()
	for seen.cursor() < head && time.Since(catchUp) < 30*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	stopWatch()
	watchWG.Wait()

	res := verify(t, dbh, led, seen)
	res["plan"] = map[string]any{"nodes": plan.Nodes, "citizens": plan.Citizens, "dispatchers": plan.Dispatchers, "load_s": plan.Load.Seconds()}
	res["timeline"] = timeline
	res["feed_reconnects"] = seen.reconnects.Load()
	res["feed_caught_up"] = seen.cursor() >= head
	res["operations"] = led.ops.Load()
	res["retries"] = led.retries.Load()
	res["given_up"] = led.failures

	// The audit chain survived the crashes.
	out, err := exec.Command(c.bin, "audit", "verify", "--db", c.DB, "--data", t.TempDir()).CombinedOutput()
	res["audit_verify"] = strings.TrimSpace(string(out))
	if err != nil {
		t.Errorf("audit verify: %v\n%s", err, out)
	}
	name := "chaos_short"
	if os.Getenv("OPEN110_CHAOS") == "1" {
		name = "chaos_heavy"
	}
	writeResult(t, name, res)
	if seen.cursor() < head {
		t.Errorf("console feed did not catch up: cursor %d, head %d", seen.cursor(), head)
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// op runs one API call with failover, recording retries.
func op(ctx context.Context, c *Cluster, u *User, led *ledger, start int, method, path string, hdr http.Header, body any) (Response, error) {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 90*time.Second)
	defer cancel()
	r, tries, err := u.Failover(octx, c.URLs, start, method, path, hdr, body)
	led.ops.Add(1)
	if tries > 1 {
		led.retries.Add(int64(tries - 1))
	}
	return r, err
}

func citizenLoop(ctx context.Context, t *testing.T, c *Cluster, u *User, i int, led *ledger) {
	rng := rand.New(rand.NewPCG(uint64(i), 9))
	for n := 0; ctx.Err() == nil; n++ {
		key := fmt.Sprintf("chaos-%s-%d", u.Name, n)
		led.mu.Lock()
		led.keys[key] = u.Name
		led.mu.Unlock()
		loc := jitter(rng, pointX)
		r, err := op(ctx, c, u, led, i, "POST", "/api/v1/alarms", http.Header{"Idempotency-Key": {key}},
			map[string]any{"kind": "text", "location": loc, "text": "chaos " + key})
		if err != nil || r.Status != http.StatusCreated {
			led.fail("raise")
			t.Logf("%s: raise %s not acknowledged: %v %v", u.Name, key, r, err)
			continue
		}
		var al struct {
			ID string `json:"id"`
		}
		_ = r.JSON(&al)
		led.mu.Lock()
		led.alarms[key] = append(led.alarms[key], al.ID)
		led.mu.Unlock()
		for j := 0; j < 3 && ctx.Err() == nil; j++ {
			text := fmt.Sprintf("%s msg %d", key, j)
			led.mu.Lock()
			led.sentTexts[text] = true
			led.mu.Unlock()
			r, err := op(ctx, c, u, led, i+j, "POST", "/api/v1/alarms/"+al.ID+"/messages", nil, map[string]string{"text": text})
			if err == nil && r.Status == http.StatusCreated {
				var m struct {
					ID string `json:"id"`
				}
				_ = r.JSON(&m)
				led.mu.Lock()
				led.messages[m.ID] = text
				led.mu.Unlock()
			} else if err != nil {
				led.fail("message")
			}
			r, err = op(ctx, c, u, led, i+j+1, "POST", "/api/v1/alarms/"+al.ID+"/positions", nil, jitter(rng, pointX))
			if err == nil && r.Status == http.StatusCreated {
				var f struct {
					Seq int64 `json:"seq"`
				}
				_ = r.JSON(&f)
				led.mu.Lock()
				led.positions[fmt.Sprintf("%s/%d", al.ID, f.Seq)] = f.Seq
				led.mu.Unlock()
			} else if err != nil {
				led.fail("position")
			}
			sleepCtx(ctx, time.Duration(100+rng.IntN(200))*time.Millisecond)
		}
	}
}

func dispatcherLoop(ctx context.Context, c *Cluster, u *User, i int, led *ledger) {
	for n := 0; ctx.Err() == nil; n++ {
		r, err := op(ctx, c, u, led, i+n, "GET", "/api/v1/alarms?state=queued&limit=20", nil, nil)
		if err != nil || r.Status != http.StatusOK {
			led.fail("queue")
			continue
		}
		var q struct {
			Alarms []struct {
				ID string `json:"id"`
			} `json:"alarms"`
		}
		_ = r.JSON(&q)
		if len(q.Alarms) == 0 {
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		id := q.Alarms[(i+n)%len(q.Alarms)].ID
		r, err = op(ctx, c, u, led, i+n, "POST", "/api/v1/alarms/"+id+"/answer", nil, nil)
		if err != nil || r.Status != http.StatusOK {
			continue // another dispatcher took it, or it moved on
		}
		text := fmt.Sprintf("%s reply %s", u.Name, id)
		led.mu.Lock()
		led.sentTexts[text] = true
		led.mu.Unlock()
		r, err = op(ctx, c, u, led, i+n+1, "POST", "/api/v1/alarms/"+id+"/messages", nil, map[string]string{"text": text})
		if err == nil && r.Status == http.StatusCreated {
			var m struct {
				ID string `json:"id"`
			}
			_ = r.JSON(&m)
			led.mu.Lock()
			led.messages[m.ID] = text
			led.mu.Unlock()
		}
		sleepCtx(ctx, 300*time.Millisecond)
		_, _ = op(ctx, c, u, led, i+n, "POST", "/api/v1/alarms/"+id+"/end", nil, map[string]string{"disposition": "resolved"})
	}
}

func jitter(rng *rand.Rand, p map[string]float64) map[string]float64 {
	return map[string]float64{"lat": p["lat"] + (rng.Float64()-0.5)*0.002, "lng": p["lng"] + (rng.Float64()-0.5)*0.002, "accuracy_m": 15}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// feedSeen is what the console feed watcher saw.
type feedSeen struct {
	mu         sync.Mutex
	raised     map[string]bool
	messages   map[string]bool
	last       int64
	reconnects atomic.Int64
	history    []string // one line per connection: node, cursor asked, first seq received
	started    bool     // the first snapshot arrived
	seqs       map[int64]bool
}

func newFeedSeen() *feedSeen {
	return &feedSeen{raised: map[string]bool{}, messages: map[string]bool{}, seqs: map[int64]bool{}}
}

func (s *feedSeen) synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.history) > 0 || s.started
}

func (s *feedSeen) cursor() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// watchFeed follows the province console feed, reconnecting to any live
// node with its last cursor whenever the connection drops — what the
// console does — and records every alarm and message it is told about.
// It starts on the last node, the first one the plans kill.
func watchFeed(ctx context.Context, u *User, nodes func() []string, seen *feedSeen) {
	first := true
	for i := len(nodes()) - 1; ctx.Err() == nil; i++ {
		ns := nodes()
		if len(ns) == 0 {
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		path := "/api/v1/alarms/feed"
		if !first {
			path += fmt.Sprintf("?cursor=%d", seen.cursor())
		}
		f, err := u.OpenFeed(ctx, ns[i%len(ns)], path)
		if err != nil {
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		if !first {
			seen.reconnects.Add(1)
		}
		connAt, firstSeq, asked := time.Now(), int64(-1), path
		for m := range f.C {
			switch m.Type {
			case "snapshot":
				first = false
				seen.mu.Lock()
				seen.last = m.Cursor
				seen.started = true
				seen.mu.Unlock()
			case "event":
				e := m.Event
				seen.mu.Lock()
				if firstSeq < 0 {
					firstSeq = e.Seq
				}
				seen.seqs[e.Seq] = true
				if e.Seq > seen.last {
					seen.last = e.Seq
				}
				switch e.Type {
				case "raised":
					seen.raised[e.AlarmID] = true
				case "message":
					if mm, ok := e.Data["message"].(map[string]any); ok {
						if id, ok := mm["id"].(string); ok {
							seen.messages[id] = true
						}
					}
				}
				seen.mu.Unlock()
			}
		}
		f.Close()
		seen.mu.Lock()
		seen.history = append(seen.history, fmt.Sprintf("%s %s at %s: first seq %d, last %d, ended: %v",
			ns[i%len(ns)], asked, connAt.Format("15:04:05.000"), firstSeq, seen.last, f.Err))
		seen.mu.Unlock()
	}
}

// verify compares the ledger and the feed with the database.
func verify(t *testing.T, d *sql.DB, led *ledger, seen *feedSeen) map[string]any {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()
	seen.mu.Lock()
	defer seen.mu.Unlock()

	exists := func(q string, args ...any) bool {
		var n int
		if err := d.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n > 0
	}
	var ackedAlarms, lostAlarms, dupAlarms, unseenAlarms int
	for key, ids := range led.alarms {
		if len(ids) == 0 {
			continue
		}
		ackedAlarms++
		for _, id := range ids[1:] {
			if id != ids[0] {
				dupAlarms++
				t.Errorf("idempotency key %s answered with two alarms: %v", key, ids)
			}
		}
		if !exists("SELECT COUNT(*) FROM alarms WHERE id = $1", ids[0]) {
			lostAlarms++
			t.Errorf("acknowledged alarm %s (key %s) is not in the database", ids[0], key)
		}
		if !seen.raised[ids[0]] {
			unseenAlarms++
			var seq, at int64
			_ = d.QueryRow("SELECT seq, at FROM alarm_events WHERE alarm_id = $1 AND type = 'raised'", ids[0]).Scan(&seq, &at)
			t.Errorf("acknowledged alarm %s never reached the console feed (raised event seq %d at %s)", ids[0], seq,
				time.UnixMicro(at).UTC().Format("15:04:05.000"))
		}
	}
	// Alarms stored for our keys beyond one per key would be duplicates; so
	// would any alarm of our run without a key.
	// The private database holds only this run's alarms.
	var stored, keyless int
	if err := d.QueryRow("SELECT COUNT(*) FROM alarms WHERE idem_key LIKE 'chaos-%'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow("SELECT COUNT(*) FROM alarms WHERE idem_key = ''").Scan(&keyless); err != nil {
		t.Fatal(err)
	}
	var distinctKeys int
	if err := d.QueryRow("SELECT COUNT(DISTINCT caller_id || '/' || idem_key) FROM alarms WHERE idem_key LIKE 'chaos-%'").Scan(&distinctKeys); err != nil {
		t.Fatal(err)
	}
	dupAlarms += stored - distinctKeys + keyless
	if stored-distinctKeys+keyless > 0 {
		t.Errorf("duplicate alarms in the database: %d rows for %d keys, %d without a key", stored, distinctKeys, keyless)
	}
	storedUnacked := stored - ackedAlarms

	var lostMsgs, unseenMsgs int
	for id, text := range led.messages {
		if !exists("SELECT COUNT(*) FROM alarm_messages WHERE id = $1 AND text = $2", id, text) {
			lostMsgs++
			t.Errorf("acknowledged message %s %q is not in the database", id, text)
		}
		if !seen.messages[id] {
			unseenMsgs++
			t.Errorf("acknowledged message %s never reached the console feed", id)
		}
	}
	if unseenAlarms > 0 || unseenMsgs > 0 {
		for _, h := range seen.history {
			t.Logf("feed connection: %s", h)
		}
		var gaps []int64
		var head int64
		_ = d.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM alarm_events").Scan(&head)
		rows, err := d.Query("SELECT seq FROM alarm_events ORDER BY seq")
		if err == nil {
			for rows.Next() {
				var q int64
				if rows.Scan(&q) == nil && !seen.seqs[q] && len(gaps) < 50 {
					gaps = append(gaps, q)
				}
			}
			rows.Close()
		}
		t.Logf("events in the database the feed never delivered (first 50): %v (head %d)", gaps, head)
	}
	dupMsgs := 0
	rows, err := d.Query("SELECT text, COUNT(*) FROM alarm_messages GROUP BY text HAVING COUNT(*) > 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var text string
		var n int
		if err := rows.Scan(&text, &n); err != nil {
			t.Fatal(err)
		}
		if led.sentTexts[text] {
			dupMsgs += n - 1
			t.Logf("chat message stored %d times after retries: %q", n, text)
		}
	}
	rows.Close()

	lostPos := 0
	for k, seq := range led.positions {
		id := k[:strings.IndexByte(k, '/')]
		if !exists("SELECT COUNT(*) FROM alarm_positions WHERE alarm_id = $1 AND seq = $2", id, seq) {
			lostPos++
			t.Errorf("acknowledged position %s is not in the database", k)
		}
	}
	return map[string]any{
		"alarms_acknowledged":            ackedAlarms,
		"alarms_lost":                    lostAlarms,
		"alarms_duplicated":              dupAlarms,
		"alarms_stored_not_acknowledged": storedUnacked,
		"alarms_missing_from_feed":       unseenAlarms,
		"messages_acknowledged":          len(led.messages),
		"messages_lost":                  lostMsgs,
		"messages_duplicated_by_retry":   dupMsgs,
		"messages_missing_from_feed":     unseenMsgs,
		"positions_acknowledged":         len(led.positions),
		"positions_lost":                 lostPos,
	}
}
