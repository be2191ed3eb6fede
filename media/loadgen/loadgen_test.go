package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/media"
	"open110/media/loadgen"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// alarms grants c<i> the caller and d<j> the dispatcher of every video alarm.
type alarms struct{}

func (alarms) Access(_ context.Context, p account.Principal, id string) (media.Grant, error) {
	a := media.Alarm{ID: id, Kind: media.KindVideo, State: "answered"}
	if strings.HasPrefix(p.ID, "c") {
		return media.Grant{Role: media.RoleCaller, Alarm: a}, nil
	}
	return media.Grant{Role: media.RoleDispatcher, Alarm: a}, nil
}

func (alarms) Get(_ context.Context, id string) (media.Alarm, error) {
	return media.Alarm{ID: id, Kind: media.KindVideo, State: "answered"}, nil
}

// TestDirectRun drives two synthetic alarms through a real media service and
// checks the summary's shape (not its figures: tests assert no timings).
func TestDirectRun(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, audit.Migrations(), media.Migrations())
	dir := t.TempDir()
	bs, err := blob.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := media.New(context.Background(), media.Config{DataDir: dir, Loopback: true, LoopbackOnly: true},
		media.Deps{DB: d, Blob: bs, Audit: audit.New(d, nil), Alarms: alarms{}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		r = r.WithContext(account.WithPrincipal(r.Context(), account.Principal{Kind: account.Officer, ID: tok, Username: tok}))
		mux.ServeHTTP(w, r)
	}))
	defer func() { srv.CloseClientConnections(); svc.Close(); srv.Close() }()

	var out bytes.Buffer
	err = loadgen.Run(context.Background(), loadgen.Options{Server: srv.URL, Mode: "direct", Callers: 2, Dispatchers: 1,
		Duration: time.Second, Warmup: 500 * time.Millisecond, BitrateKbps: 300, Ramp: 50}, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var sum map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last line is not JSON: %q", out.String())
	}
	for _, k := range []string{"callers", "connected", "loss_pct", "ttff_p95_ms", "forwarded_mbps", "server_cpu_pct", "server_rss_mb"} {
		if _, ok := sum[k]; !ok {
			t.Fatalf("summary lacks %s: %s", k, lines[len(lines)-1])
		}
	}
	if sum["connected"].(float64) != 2 || sum["forwarded_mbps"].(float64) <= 0 {
		t.Fatalf("summary %v", sum)
	}
}
