package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"open110/audit"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if _, err := l.Append(context.Background(), audit.Entry{
			Actor: "officer:d130102", ActorIP: "10.0.0.1", RequestIP: "10.0.0.2",
			Action: "tip.identity.reveal", Object: fmt.Sprintf("tip:%d", i), Subject: "citizen:c1",
			Reason: "follow-up call", Detail: map[string]any{"n": i, "b": "x"},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChain(t *testing.T) {
	tamper := []struct {
		name    string
		sql     string
		wantSeq int64
	}{
		{"edited reason", "UPDATE audit_log SET reason = 'nothing' WHERE seq = 3", 3},
		{"edited detail", "UPDATE audit_log SET detail = '{\"n\":4}' WHERE seq = 4", 4},
		{"deleted entry", "DELETE FROM audit_log WHERE seq = 2", 3},
		{"rehashed edit", "UPDATE audit_log SET actor = 'x', hash = 'ab' WHERE seq = 4", 4},
		{"reordered", "UPDATE audit_log SET seq = -seq WHERE seq IN (2, 3); UPDATE audit_log SET seq = 5 + seq WHERE seq IN (-2, -3)", 2},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, []db.Migrations{audit.Migrations()}, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				l := audit.New(d, nil)
				fill(t, l, 5)
				res, err := l.Verify(ctx)
				if err != nil || !res.OK || res.Entries != 5 {
					t.Fatalf("intact chain: %+v, %v", res, err)
				}
				for _, s := range splitSQL(tc.sql) {
					if _, err := d.Exec(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
				res, err = l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK || res.BadSeq != tc.wantSeq {
					t.Fatalf("after %s: %+v, want bad seq %d", tc.name, res, tc.wantSeq)
				}
			})
		})
	}
}

func splitSQL(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ';' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestListFilters(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		l := audit.New(d, func() time.Time { clock = clock.Add(time.Minute); return clock })
		fill(t, l, 5)
		l.Append(ctx, audit.Entry{Actor: "citizen:c9", Action: "auth.login", Object: "citizen:c9"})
		all, err := l.List(ctx, audit.Filter{})
		if err != nil || len(all) != 6 {
			t.Fatalf("all: %d %v", len(all), err)
		}
		if all[0].Detail["b"] != "x" {
			t.Fatalf("detail lost: %+v", all[0].Detail)
		}
		for _, tc := range []struct {
			f    audit.Filter
			want int
		}{
			{audit.Filter{Actor: "citizen:c9"}, 1},
			{audit.Filter{Action: "tip.*"}, 5},
			{audit.Filter{Object: "tip:3"}, 1},
			{audit.Filter{Subject: "citizen:c1"}, 5},
			{audit.Filter{AfterSeq: 4}, 2},
			{audit.Filter{Limit: 2}, 2},
			{audit.Filter{From: all[2].At, To: all[4].At}, 2},
			{audit.Filter{Action: "%"}, 0},
		} {
			got, err := l.List(ctx, tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("%+v: %d entries (%v), want %d", tc.f, len(got), err, tc.want)
			}
		}
	})
}
