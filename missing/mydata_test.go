package missing

import (
	"context"
	"testing"

	"open110/account"
	"open110/mydata"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// My data: the initiator's notices, sightings and alert area are exported;
// deletion keeps open notices whole and erases the initiator from closed
// ones; a sighting on an open notice is kept whole.
func TestMyDataExportAndDelete(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, true)
		ctx := context.Background()
		s := e.s
		own := officer("h130102", account.Handler, "130102")
		closed, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Withdraw(ctx, family, closed.ID); err != nil {
			t.Fatal(err)
		}
		open, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartVerify(ctx, own, open.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, own, open.ID, allChecks); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddSighting(ctx, family, open.ID, SightingInput{Text: "在公园门口看到一个穿红外套的孩子"}, nil); err != nil {
			t.Fatal(err)
		}
		optIn(t, e, family.ID, 38.0)

		x, err := s.ExportFor(ctx, family.ID)
		if err != nil || len(x.Notices) != 2 || len(x.Sightings) != 1 || !x.Alerts.Enabled {
			t.Fatalf("export %+v %v", x, err)
		}
		holds, err := s.DeleteFor(ctx, family.ID, true)
		if err != nil || len(holds) != 3 {
			t.Fatalf("dry run %+v %v", holds, err)
		}
		want := map[string]string{closed.ID: mydata.ReasonLegalRetention, open.ID: mydata.ReasonOpenCase}
		for _, h := range holds {
			if h.Kind == "missing_notice" && want[h.ID] != h.Reason {
				t.Fatalf("hold %+v", h)
			}
			if h.Kind == "missing_sighting" && h.Reason != mydata.ReasonOpenCase {
				t.Fatalf("sighting hold %+v", h)
			}
		}
		if _, err := s.DeleteFor(ctx, family.ID, false); err != nil {
			t.Fatal(err)
		}
		var contact, owner string
		d.QueryRow(ctx, "SELECT contact_phone, citizen_id FROM missing_notices WHERE id = $1", closed.ID).Scan(&contact, &owner)
		if contact != "" || owner != "" {
			t.Fatalf("closed notice still names the initiator: %q %q", contact, owner)
		}
		d.QueryRow(ctx, "SELECT contact_phone, citizen_id FROM missing_notices WHERE id = $1", open.ID).Scan(&contact, &owner)
		if contact == "" || owner != family.ID {
			t.Fatal("open notice lost its initiator")
		}
		x, err = s.ExportFor(ctx, family.ID)
		if err != nil || len(x.Notices) != 1 || x.Alerts.Enabled {
			t.Fatalf("after deletion %+v %v", x, err)
		}
	})
}
