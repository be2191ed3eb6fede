package alarm

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"open110/platform/sms"
)

func TestTuningAppliesAtNextSweep(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if got := e.s.Tuning(); got.OverflowAfter != 20*time.Second || len(got.QuickPhrases) != len(DefaultQuickPhrases) {
			t.Fatalf("defaults: %+v", got)
		}
		e.s.SetTuning(Tuning{OverflowAfter: 8 * time.Second, QuickPhrases: []string{"请讲"}})
		if got := e.s.Tuning(); got.AbandonAfter != 60*time.Second || got.PhonePerHour != 3 {
			t.Fatalf("zero fields must keep Config's: %+v", got)
		}
		if q := e.s.QuickPhrases(); len(q) != 1 || q[0] != "请讲" {
			t.Fatalf("quick phrases %v", q)
		}
		e.raise(citizen("c0001"), Text, &museum)
		city := dispatcher("d130100", "130100")
		e.clock.Add(7 * time.Second)
		e.s.Sweep(ctx)
		if q, _ := e.s.List(ctx, city, Filter{State: Queued}); len(q) != 0 {
			t.Fatal("overflowed before the tuned time")
		}
		e.clock.Add(time.Second)
		e.s.Sweep(ctx)
		if q, _ := e.s.List(ctx, city, Filter{State: Queued}); len(q) != 1 || q[0].Overflow != 1 {
			t.Fatalf("not overflowed at the tuned 8 s: %+v", q)
		}
		// The 12110 callbacks are checked with the administrator's secret.
		ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
		body := []byte(`{"id":"g-1","from":"13912345678","to":"12110311","text":"x"}`)
		e.s.SetTuning(Tuning{SMSSecret: []byte("new-gateway-secret")})
		if _, err := e.s.VerifySMS(ts, sms.Sign(smsSecret, ts, body), body); !errors.Is(err, ErrSMSSignature) {
			t.Fatalf("old secret accepted: %v", err)
		}
		if _, err := e.s.VerifySMS(ts, sms.Sign([]byte("new-gateway-secret"), ts, body), body); err != nil {
			t.Fatalf("new secret refused: %v", err)
		}
		// Back to the defaults: a zero Tuning.
		e.s.SetTuning(Tuning{})
		if got := e.s.Tuning(); got.OverflowAfter != 20*time.Second || len(got.QuickPhrases) != len(DefaultQuickPhrases) {
			t.Fatalf("reset: %+v", got)
		}
	})
}

func TestListWindowPagesAndFirstAnswer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		start := e.clock.Now()
		var ids []string
		for i := 0; i < 5; i++ {
			ids = append(ids, e.raise(citizen("c000"+string(rune('1'+i))), Text, &museum).ID)
			e.clock.Add(time.Minute)
		}
		other := e.raise(citizen("c0009"), Text, &station) // 130104: not 130102's
		d := dispatcher("d130102", "130102")
		e.clock.Add(3 * time.Second)
		if _, err := e.s.Answer(ctx, d, ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Release(ctx, d, ids[0], "hand on"); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		if _, err := e.s.Answer(ctx, d, ids[0]); err != nil {
			t.Fatal(err)
		}
		end := e.clock.Now().Add(time.Second)

		var got []Record
		cursor := ""
		for pages := 0; ; pages++ {
			recs, next, err := e.s.ListWindow(ctx, d, start, end, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) > 2 || pages > 5 {
				t.Fatalf("page of %d, %d pages", len(recs), pages)
			}
			got = append(got, recs...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(got) != 5 {
			t.Fatalf("want 5 alarms of 130102, got %d", len(got))
		}
		for i, r := range got {
			if r.ID != ids[i] || r.ID == other.ID {
				t.Fatalf("order: %d is %s", i, r.ID)
			}
		}
		first := got[0]
		if first.FirstAnsweredAt == nil || !first.FirstAnsweredAt.Before(*first.AnsweredAt) || first.FirstAnsweredBy != "d130102" || first.FirstCenter != "130102" {
			t.Fatalf("first answer: %+v", first)
		}
		// A narrower window; a province supervisor sees both centres'.
		recs, _, err := e.s.ListWindow(ctx, supervisor("130000"), start.Add(time.Minute), end, "", 0)
		if err != nil || len(recs) != 5 {
			t.Fatalf("province window: %d %v", len(recs), err)
		}
		if _, _, err := e.s.ListWindow(ctx, d, end, start, "", 0); !errors.Is(err, ErrInvalidWindow) {
			t.Fatalf("reversed window: %v", err)
		}
		if _, _, err := e.s.ListWindow(ctx, d, start, end, "nonsense", 0); !errors.Is(err, ErrInvalidWindow) {
			t.Fatalf("bad cursor: %v", err)
		}
		// A citizen sees their own, without officers' names.
		mine, _, err := e.s.ListWindow(ctx, citizen("c0001"), start, end, "", 0)
		if err != nil || len(mine) != 1 || mine[0].FirstAnsweredBy != "" || mine[0].AnsweredBy != "" {
			t.Fatalf("citizen window: %+v %v", mine, err)
		}
	})
}

func TestPurgeClosedKeepsRecordsAndEvidence(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := `{"id":"g-9","from":"13912345678","to":"12110311","text":"有人打架"}`
		ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
		sig, err := e.s.VerifySMS(ts, sms.Sign(smsSecret, ts, []byte(body)), []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		in, _ := DecodeSMS([]byte(body))
		r, err := e.s.ReceiveSMS(ctx, sig, in)
		if err != nil {
			t.Fatal(err)
		}
		open := e.raise(citizen("c0001"), Text, &museum)
		d := dispatcher("d130100", "130100")
		if _, err := e.s.Answer(ctx, d, r.AlarmID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.End(ctx, d, r.AlarmID, "resolved"); err != nil {
			t.Fatal(err)
		}
		ended := e.clock.Now()
		got, err := e.s.PurgeClosed(ctx, ended.Add(-time.Hour), ended.Add(-time.Hour))
		if err != nil || got["sms_receipts"] != 0 || got["evidence_due"] != 0 {
			t.Fatalf("before retention: %v %v", got, err)
		}
		got, err = e.s.PurgeClosed(ctx, ended.Add(time.Hour), ended.Add(time.Hour))
		if err != nil || got["sms_receipts"] != 1 || got["evidence_due"] != 1 {
			t.Fatalf("after retention: %v %v", got, err)
		}
		// The record stays: alarm, chat; the open alarm is untouched.
		if ms, err := e.s.Messages(ctx, d, r.AlarmID, 0); err != nil || len(ms) == 0 {
			t.Fatalf("chat purged: %v %v", ms, err)
		}
		if _, err := e.s.Get(ctx, dispatcher("d130102", "130102"), open.ID); err != nil {
			t.Fatal(err)
		}
	})
}
