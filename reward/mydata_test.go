package reward

import (
	"context"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/mydata"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

type centersStub struct{}

func (centersStub) GetCenter(_ context.Context, code string) (account.Center, error) {
	return account.Center{Code: code, Name: code}, nil
}

// My data: a citizen's named clues are exported with their contact;
// deletion keeps clues of open tasks whole and erases the contact and the
// link of the others, anonymous clues are never found.
func TestMyDataExportAndDelete(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
		s := New(d, audit.New(d, func() time.Time { return now }), nil, centersStub{}, []byte("reward-secret"), func() time.Time { return now }, nil)
		h := account.Principal{Kind: account.Officer, ID: "o_h", Username: "h130102", Role: account.Handler, Center: "130102"}
		publish := func(title string) *Task {
			tk, err := s.Publish(ctx, h, NewTask{Title: title, Description: "寻找目击者", AmountYuan: 1000, Area: "长安区", ValidUntil: now.Add(30 * 24 * time.Hour)}, "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		open, ended := publish("悬赏一"), publish("悬赏二")
		me := account.Principal{Kind: account.Citizen, ID: "c_me"}
		c1, err := s.SubmitClue(ctx, me, open.ID, NewClue{Text: "我看到了", Contact: "13800000001"})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := s.SubmitClue(ctx, me, ended.ID, NewClue{Text: "车牌冀A1", Contact: "13800000001"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitClue(ctx, me, open.ID, NewClue{Text: "匿名线索", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Close(ctx, h, ended.ID, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		x, err := s.ExportFor(ctx, me.ID)
		if err != nil || len(x) != 2 || x[0].ID != c1.Clue || x[0].Contact != "13800000001" || x[1].TaskState != "closed" {
			t.Fatalf("export %+v %v", x, err)
		}
		holds, err := s.DeleteFor(ctx, me.ID, false)
		if err != nil || len(holds) != 2 || holds[0].Reason != mydata.ReasonOpenCase || holds[1].Reason != mydata.ReasonLegalRetention {
			t.Fatalf("holds %+v %v", holds, err)
		}
		var contact, ref string
		d.QueryRow(ctx, "SELECT contact, citizen_ref FROM reward_clues WHERE id = $1", c2.Clue).Scan(&contact, &ref)
		if contact != "" || ref != "" {
			t.Fatalf("closed task's clue still linked: %q %q", contact, ref)
		}
		if x, _ := s.ExportFor(ctx, me.ID); len(x) != 1 || x[0].ID != c1.Clue {
			t.Fatalf("after deletion %+v", x)
		}
	})
}
