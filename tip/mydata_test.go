package tip

import (
	"context"
	"testing"

	"open110/account"
	"open110/mydata"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// My data: the export holds the tipster's tips with their looks and
// reveals counted; deletion keeps open tips whole, keeps closed ones
// without identity, and deletes unattached captures.
func TestMyDataExportAndDelete(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		capture := func(seed string) Media {
			ct, err := f.svc.IssueToken(ctx, f.alice)
			if err != nil {
				t.Fatal(err)
			}
			m, err := f.upload(t, f.alice, ct.Token, photo(seed), nil)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		attached, loose := capture("one"), capture("two")
		open, err := f.svc.Submit(ctx, f.alice, NewTip{Category: "drugs", Description: "有人在楼道交易", Position: here, Media: []string{attached.ID}, Name: "王"})
		if err != nil {
			t.Fatal(err)
		}
		done, err := f.svc.Submit(ctx, f.alice, NewTip{Category: "pollution", Description: "夜间排污", Position: here, Name: "王"})
		if err != nil {
			t.Fatal(err)
		}
		center := done.Center.Code
		acc := f.svc.accounts.(*account.Service)
		if _, err := acc.CreateOfficer(ctx, d, account.NewOfficer{Username: "hx" + center, Name: "处理民警", Role: account.Handler, Center: center, Password: "handler-password-1"}); err != nil {
			t.Fatal(err)
		}
		sup := account.Principal{Kind: account.Officer, ID: "o_s", Username: "s" + center, Role: account.Supervisor, Center: center, SignInIP: "10.0.0.1"}
		o, err := acc.GetOfficer(ctx, "hx"+center)
		if err != nil {
			t.Fatal(err)
		}
		h := account.Principal{Kind: account.Officer, ID: o.ID, Username: o.Username, Role: account.Handler, Center: center, SignInIP: "10.0.0.2"}
		if _, err := f.svc.Assign(ctx, sup, done.ID, h.Username, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Accept(ctx, h, done.ID, "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reveal(ctx, h, done.ID, "10.0.0.2", "需要联系举报人核实"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Close(ctx, h, done.ID, "10.0.0.2", "verified", "已查处"); err != nil {
			t.Fatal(err)
		}

		x, err := f.svc.ExportFor(ctx, f.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Tips) != 2 || len(x.Captures) != 1 || x.Captures[0].ID != loose.ID || len(x.Tips[0].Media) != 1 {
			t.Fatalf("export %+v", x)
		}
		if x.Tips[1].IdentityReveals != 1 || x.Tips[1].State != Closed || x.Tips[1].Handler != "" {
			t.Fatalf("closed tip in export: %+v", x.Tips[1])
		}
		if other, _ := f.svc.ExportFor(ctx, f.bob.ID); len(other.Tips) != 0 {
			t.Fatal("another citizen sees alice's tips")
		}

		holds, err := f.svc.DeleteFor(ctx, f.alice.ID, true)
		if err != nil || len(holds) != 2 || holds[0].Reason != mydata.ReasonOpenCase || holds[1].Reason != mydata.ReasonLegalRetention {
			t.Fatalf("dry run %+v %v", holds, err)
		}
		if _, err := f.svc.DeleteFor(ctx, f.alice.ID, false); err != nil {
			t.Fatal(err)
		}
		// The open tip is whole; the closed one has no identity and no owner.
		if _, err := f.svc.Reveal(ctx, h, done.ID, "10.0.0.2", "再次核实举报人"); err == nil {
			t.Fatal("identity of a closed tip survived the deletion")
		}
		var owner, ct string
		d.QueryRow(ctx, "SELECT owner_ref, identity_ct FROM tips WHERE id = $1", done.ID).Scan(&owner, &ct)
		if owner != "" || ct != "" {
			t.Fatalf("closed tip still linked: %q %q", owner, ct)
		}
		d.QueryRow(ctx, "SELECT identity_ct FROM tips WHERE id = $1", open.ID).Scan(&ct)
		if ct == "" {
			t.Fatal("open tip lost its identity")
		}
		if _, _, err := f.svc.blob.Get(ctx, loose.SHA256); err == nil {
			t.Fatal("unattached capture bytes kept")
		}
		if rc, _, err := f.svc.blob.Get(ctx, attached.SHA256); err != nil {
			t.Fatalf("evidence of the open tip deleted: %v", err)
		} else {
			rc.Close()
		}
		x, _ = f.svc.ExportFor(ctx, f.alice.ID)
		if len(x.Tips) != 1 || x.Tips[0].ID != open.ID || len(x.Captures) != 0 {
			t.Fatalf("after deletion %+v", x)
		}
	})
}
