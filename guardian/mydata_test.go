package guardian_test

import (
	"bytes"
	"testing"
	"time"

	"open110/guardian"
	"open110/mydata"
)

// A run-time retention (admin settings) is used by the next purge.
func TestSetRetention(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me, mum := e.citizen("13800000001"), e.citizen("13800000002")
		e.guardOf(me, mum, true)
		tr := e.startTrip(me, guardian.StartRequest{})
		e.g.End(ctx, me, tr.ID, "")
		e.g.SetRetention(2 * 24 * time.Hour)
		e.clock.Add(2*24*time.Hour + time.Minute)
		if err := e.g.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.g.Get(ctx, me, tr.ID); code(err) != "trip_not_found" {
			t.Fatalf("not purged at the run-time retention: %v", err)
		}
		// With ExternalPurge the timers leave it to the node's job.
		e.cfg.ExternalPurge = true
		e.start()
		e.g.SetRetention(2 * 24 * time.Hour)
		tr = e.startTrip(me, guardian.StartRequest{})
		e.g.End(ctx, me, tr.ID, "")
		e.clock.Add(2*24*time.Hour + time.Minute)
		e.g.Tick(ctx)
		if _, err := e.g.Get(ctx, me, tr.ID); err != nil {
			t.Fatalf("the timers purged under ExternalPurge: %v", err)
		}
		if n, err := e.g.PurgeTrips(ctx, e.clock.Now()); err != nil || n != 1 {
			t.Fatalf("PurgeTrips: %d %v", n, err)
		}
	})
}

// My data: the export holds the citizen's trips with track and media by
// reference; deletion removes what no alarm holds and names what it keeps.
func TestMyDataExportAndDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me, mum := e.citizen("13800000001"), e.citizen("13800000002")
		e.guardOf(me, mum, true)
		plain := e.startTrip(me, guardian.StartRequest{Note: "冀A12345"})
		e.add(me, plain.ID, pt(1, e.clock.Now(), museum))
		m, err := e.g.AddMedia(ctx, me, plain.ID, guardian.MediaUpload{Kind: "photo", ClientID: "a"}, bytes.NewReader(jpeg))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		e.g.End(ctx, me, plain.ID, "")
		linked := e.startTrip(me, guardian.StartRequest{})
		e.add(me, linked.ID, pt(1, e.clock.Now(), museum))
		if _, err := e.g.RaiseAlarm(ctx, me, linked.ID, guardian.RaiseRequest{}); err != nil {
			t.Fatal(err)
		}
		e.g.End(ctx, me, linked.ID, "")

		x, err := e.g.ExportFor(ctx, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Trips) != 2 || x.Trips[0].ID != plain.ID || len(x.Trips[0].Track) != 1 || len(x.Trips[0].Media) != 1 ||
			x.Trips[0].Media[0].SHA256 != m.SHA256 || len(x.Links.Guardians) != 1 || len(x.Trips[0].Events) == 0 {
			t.Fatalf("export %+v", x)
		}
		gx, err := e.g.ExportFor(ctx, mum.ID)
		if err != nil || len(gx.Trips) != 0 || len(gx.Guarding) != 2 || len(gx.Links.Guarding) != 1 {
			t.Fatalf("guardian's export %+v %v", gx, err)
		}

		// Dry run: nothing deleted, the linked trip named as evidence.
		holds, err := e.g.DeleteFor(ctx, me.ID, true)
		if err != nil || len(holds) != 1 || holds[0].ID != linked.ID || holds[0].Reason != mydata.ReasonEvidence {
			t.Fatalf("dry run holds %+v %v", holds, err)
		}
		if _, err := e.g.Get(ctx, me, plain.ID); err != nil {
			t.Fatalf("dry run deleted: %v", err)
		}
		// The guardian deletes first: their number stays with the held trip.
		gh, err := e.g.DeleteFor(ctx, mum.ID, false)
		if err != nil || len(gh) != 1 || gh[0].Kind != "guardian_link" {
			t.Fatalf("guardian's holds %+v %v", gh, err)
		}
		holds, err = e.g.DeleteFor(ctx, me.ID, false)
		if err != nil || len(holds) != 1 || holds[0].ID != linked.ID {
			t.Fatalf("holds %+v %v", holds, err)
		}
		if _, err := e.g.Get(ctx, me, plain.ID); code(err) != "trip_not_found" {
			t.Fatalf("unheld trip kept: %v", err)
		}
		for _, tbl := range []string{"trip_points", "trip_media", "trip_events"} {
			var n int
			e.d.QueryRow(ctx, "SELECT COUNT(*) FROM "+tbl+" WHERE trip_id = $1", plain.ID).Scan(&n)
			if n != 0 {
				t.Errorf("%s keeps %d rows", tbl, n)
			}
		}
		if _, _, err := e.blob.Get(ctx, m.SHA256); err == nil {
			t.Error("media bytes of the deleted trip kept")
		}
		var pts int
		e.d.QueryRow(ctx, "SELECT COUNT(*) FROM trip_points WHERE trip_id = $1", linked.ID).Scan(&pts)
		if pts != 1 {
			t.Fatal("evidence deleted")
		}
		var live int
		e.d.QueryRow(ctx, "SELECT COUNT(*) FROM guardian_links WHERE (owner_id = $1 OR guardian_id = $1) AND state <> 'revoked'", me.ID).Scan(&live)
		if live != 0 {
			t.Fatalf("%d live links after deletion", live)
		}
	})
}
