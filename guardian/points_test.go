package guardian_test

import (
	"testing"
	"time"

	"open110/guardian"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func TestPointRules(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		t0 := e.clock.Now()
		tr := e.startTrip(me, guardian.StartRequest{})

		// Malformed batches change nothing.
		for name, pts := range map[string][]guardian.Point{
			"empty":       {},
			"zero seq":    {pt(0, t0, museum)},
			"no time":     {{Seq: 1, Position: museum}},
			"bad lat":     {pt(1, t0, guardian.Position{Lat: 95, Lng: 114})},
			"null island": {pt(1, t0, guardian.Position{})},
			"bad acc":     {pt(1, t0, guardian.Position{Lat: 38, Lng: 114, AccuracyM: -1})},
		} {
			if _, err := e.g.AddPoints(ctx, me, tr.ID, pts); code(err) != "invalid_points" {
				t.Errorf("%s: %v", name, err)
			}
		}
		big := make([]guardian.Point, guardian.MaxBatch+1)
		for i := range big {
			big[i] = pt(int64(i+1), t0, museum)
		}
		if _, err := e.g.AddPoints(ctx, me, tr.ID, big); code(err) != "too_many_points" {
			t.Errorf("too many: %v", err)
		}
		// Only the traveller uploads; media and points need a real trip.
		if _, err := e.g.AddPoints(ctx, mum, tr.ID, []guardian.Point{pt(1, t0, museum)}); code(err) != "trip_not_found" {
			t.Errorf("guardian uploads: %v", err)
		}
		if _, err := e.g.AddPoints(ctx, me, "tnosuchtrip", []guardian.Point{pt(1, t0, museum)}); code(err) != "trip_not_found" {
			t.Errorf("no trip: %v", err)
		}
		if pts, _ := e.g.Track(ctx, me, tr.ID); len(pts) != 0 {
			t.Fatalf("refused batches stored points: %v", pts)
		}

		e.clock.Add(time.Minute)
		// A normal batch.
		r := e.add(me, tr.ID, pt(1, t0.Add(10*time.Second), museum), pt(2, t0.Add(20*time.Second), museum))
		if r.Accepted != 2 || r.Duplicates != 0 || len(r.Rejected) != 0 {
			t.Fatalf("batch: %+v", r)
		}
		// The same batch again (a retry): all duplicates, first write wins.
		moved := museum
		moved.Lat += 0.01
		r = e.add(me, tr.ID, pt(1, t0.Add(10*time.Second), moved), pt(2, t0.Add(20*time.Second), museum), pt(2, t0.Add(20*time.Second), museum))
		if r.Accepted != 0 || r.Duplicates != 3 {
			t.Fatalf("retry: %+v", r)
		}
		// Out of order: seq 4 (newer) before seq 3 (older); the last position
		// follows capture time, not arrival.
		e.add(me, tr.ID, pt(4, t0.Add(40*time.Second), station))
		e.add(me, tr.ID, pt(3, t0.Add(30*time.Second), museum))
		got, _ := e.g.Get(ctx, mum, tr.ID)
		if got.Last == nil || got.Last.Lat != station.Lat {
			t.Fatalf("last position: %+v", got.Last)
		}
		pts, _ := e.g.Track(ctx, mum, tr.ID)
		if len(pts) != 4 || pts[2].Seq != 3 || pts[3].Seq != 4 || pts[0].Lat != museum.Lat {
			t.Fatalf("track in capture order: %+v", pts)
		}
		// Future and before-start points are refused one by one; the rest stored.
		r = e.add(me, tr.ID, pt(5, e.clock.Now().Add(10*time.Minute), museum), pt(6, t0.Add(-time.Hour), museum), pt(7, t0.Add(50*time.Second), museum))
		if r.Accepted != 1 || len(r.Rejected) != 2 || r.Rejected[0].Code != "point_in_future" || r.Rejected[1].Code != "point_before_trip" {
			t.Fatalf("future/past: %+v", r)
		}
		// A little clock skew ahead is fine.
		if r = e.add(me, tr.ID, pt(8, e.clock.Now().Add(time.Minute), museum)); r.Accepted != 1 {
			t.Fatalf("skew: %+v", r)
		}
		// Ended trip: late points captured before the end are taken, points
		// after the end are refused.
		e.clock.Add(time.Minute)
		end, _ := e.g.End(ctx, me, tr.ID, "")
		e.clock.Add(time.Minute)
		r = e.add(me, tr.ID, pt(9, end.EndedAt.Add(-5*time.Second), museum), pt(10, end.EndedAt.Add(30*time.Second), museum))
		if r.Accepted != 1 || len(r.Rejected) != 1 || r.Rejected[0].Code != "after_trip_end" {
			t.Fatalf("ended trip: %+v", r)
		}
		if pts, _ := e.g.Track(ctx, me, tr.ID); len(pts) != 7 {
			t.Fatalf("stored: %d", len(pts))
		}
	})
}

// TestConcurrentBatches: many batches at once share group commits and each
// answer is right.
func TestConcurrentBatches(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const trips, batches, per = 8, 10, 50
		ids := make([]string, trips)
		mum := e.citizen("13700000000")
		ps := make([]guardian.Trip, trips)
		for i := range trips {
			me := e.citizen("1380000000" + string(rune('0'+i)))
			e.guardOf(me, mum, true)
			ps[i] = e.startTrip(me, guardian.StartRequest{})
			ids[i] = ps[i].ID
		}
		errs := make(chan error, trips*batches)
		t0 := e.clock.Now()
		for i := range trips {
			me := e.citizenByPhone("1380000000" + string(rune('0'+i)))
			for b := range batches {
				go func() {
					pts := make([]guardian.Point, per)
					for k := range pts {
						pts[k] = pt(int64(b*per+k+1), t0, museum)
					}
					res, err := e.g.AddPoints(ctx, me, ids[i], pts)
					if err == nil && res.Accepted != per {
						t.Errorf("accepted %d", res.Accepted)
					}
					errs <- err
				}()
			}
		}
		for range trips * batches {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := e.d.QueryRow(ctx, "SELECT COUNT(*) FROM trip_points").Scan(&n); err != nil || n != trips*batches*per {
			t.Fatalf("stored %d, %v", n, err)
		}
	})
}

// TestRestartKeepsPoints: every point acknowledged before a restart is
// there after it (the service and the database closed and reopened).
func TestRestartKeepsPoints(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			url := dbtest.URL(t, dialect)
			d, err := db.Open(ctx, url, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Migrate(ctx, migrations()...); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, d)
			me := e.citizen("13800000001")
			e.guardOf(me, e.citizen("13800000002"), true)
			tr := e.startTrip(me, guardian.StartRequest{})
			acked := 0
			for b := range 20 {
				pts := make([]guardian.Point, 25)
				for k := range pts {
					pts[k] = pt(int64(b*25+k+1), e.clock.Now(), museum)
				}
				res, err := e.g.AddPoints(ctx, me, tr.ID, pts)
				if err != nil {
					t.Fatal(err)
				}
				acked += res.Accepted
			}
			e.g.Close()
			d.Close()

			d2, err := db.Open(ctx, url, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			e.d = d2
			e.start()
			pts, err := e.g.Track(ctx, me, tr.ID)
			if err != nil || len(pts) != acked || acked != 500 {
				t.Fatalf("after restart: %d points of %d acknowledged, %v", len(pts), acked, err)
			}
			// The trip carries on where it was.
			if res, err := e.g.AddPoints(ctx, me, tr.ID, []guardian.Point{pt(500, e.clock.Now(), museum), pt(501, e.clock.Now(), museum)}); err != nil || res.Accepted != 1 || res.Duplicates != 1 {
				t.Fatalf("after restart: %+v %v", res, err)
			}
		})
	}
}
