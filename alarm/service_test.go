package alarm

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/sms"
)

func TestRaiseRoutesAndHides(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		a := e.raise(c, Text, &museum)
		if a.State != Queued || a.Center.Code != "130102" || a.Kind != Text || a.Routing.By != "position" {
			t.Fatalf("raised %+v", a)
		}
		if a.Center.Name == "" || a.Location == nil || a.LocationSeq != 1 {
			t.Fatalf("centre name / location: %+v", a)
		}
		if _, err := e.s.Get(ctx, c, a.ID); err != nil {
			t.Fatalf("caller get: %v", err)
		}
		own := dispatcher("d130102", "130102")
		q, err := e.s.List(ctx, own, Filter{State: Queued})
		if err != nil || len(q) != 1 || q[0].ID != a.ID {
			t.Fatalf("own queue %v %v", q, err)
		}
		if _, err := e.s.Get(ctx, dispatcher("d130104", "130104"), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other centre get: %v", err)
		}
		if _, err := e.s.Get(ctx, citizen("c0002"), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("stranger get: %v", err)
		}
		if q, _ := e.s.List(ctx, dispatcher("d130104", "130104"), Filter{State: Queued}); len(q) != 0 {
			t.Fatalf("other centre queue: %v", q)
		}
		// The city's supervisor watches the county; the province sees all.
		if _, err := e.s.Get(ctx, supervisor("130100"), a.ID); err != nil {
			t.Fatalf("city supervisor: %v", err)
		}
		if l, _ := e.s.List(ctx, supervisor("130000"), Filter{}); len(l) != 1 {
			t.Fatalf("province supervisor list %v", l)
		}
		if l, _ := e.s.List(ctx, c, Filter{}); len(l) != 1 || l[0].Suspicion != nil {
			t.Fatalf("caller list %v", l)
		}
		if _, err := e.s.List(ctx, c, Filter{State: "bogus"}); !errors.Is(err, ErrInvalidState) {
			t.Fatalf("bad state: %v", err)
		}
		if _, _, err := e.s.Raise(ctx, dispatcher("d130102", "130102"), RaiseRequest{Kind: Text, Location: &museum}); err == nil {
			t.Fatal("officer raised an alarm")
		}
		for _, bad := range []RaiseRequest{{Kind: "fax", Location: &museum}, {Kind: SMS, Location: &museum},
			{Kind: Text, Location: &Position{Lat: 200, Lng: 1}}, {Kind: Text, IdempotencyKey: "has space"}} {
			if _, _, err := e.s.Raise(ctx, c, bad); err == nil || apperr.From(err).Kind != apperr.Invalid {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		if l, _ := e.s.List(ctx, c, Filter{}); len(l) != 1 {
			t.Fatalf("bad input changed something: %d alarms", len(l))
		}
	})
}

func TestRaiseOutsideAndWithoutPosition(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.raise(citizen("c0001"), Voice, &beijing)
		if a.Center.Code != "130000" || !a.Routing.OutsideJurisdiction || a.Routing.Nearest == nil || a.Routing.By != "outside" {
			t.Fatalf("outside: %+v", a.Routing)
		}
		b := e.raise(citizen("c0001"), Text, nil)
		if b.Center.Code != "130000" || b.Routing.By != "province" || b.Location != nil {
			t.Fatalf("no position: %+v", b)
		}
		q, _ := e.s.List(ctx, dispatcher("d130000", "130000"), Filter{State: Queued})
		if len(q) != 2 {
			t.Fatalf("province queue %d", len(q))
		}
		// The first fix of a position-less alarm becomes its location.
		f, err := e.s.AddPosition(ctx, citizen("c0001"), b.ID, station)
		if err != nil || !f.Confirmed {
			t.Fatalf("first fix: %+v %v", f, err)
		}
	})
}

func TestIdempotency(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		req := RaiseRequest{Kind: Text, Location: &museum, IdempotencyKey: "k-1"}
		var wg sync.WaitGroup
		ids := make([]string, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, _, err := e.s.Raise(ctx, c, req)
				ids[i], errs[i] = a.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("retry %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
			}
		}
		if _, _, err := e.s.Raise(ctx, c, RaiseRequest{Kind: Video, Location: &museum, IdempotencyKey: "k-1"}); !errors.Is(err, ErrIdempotencyReused) {
			t.Fatalf("reused key: %v", err)
		}
		// Another citizen's equal key is theirs.
		a, created, err := e.s.Raise(ctx, citizen("c0002"), req)
		if err != nil || !created || a.ID == ids[0] {
			t.Fatalf("other citizen: %v %v", created, err)
		}
	})
}

func TestAnswerExactlyOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.raise(citizen("c0001"), Text, &museum)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.s.Answer(ctx, dispatcher(fmt.Sprintf("d130102-%d", i), "130102"), a.ID)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, ErrAlreadyAnswered):
			default:
				t.Fatalf("unexpected: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d winners", won)
		}
		if _, err := e.s.Answer(ctx, dispatcher("d130104", "130104"), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other centre: %v", err)
		}
		got, _ := e.s.Get(ctx, dispatcher("x", "130102"), a.ID)
		if _, err := e.s.Answer(ctx, dispatcher(got.AnsweredBy, "130102"), a.ID); err != nil {
			t.Fatalf("re-answer by the winner should be a no-op: %v", err)
		}
		var answered int
		if err := e.d.QueryRow(ctx, "SELECT COUNT(*) FROM alarm_events WHERE alarm_id = $1 AND type = 'answered'", a.ID).Scan(&answered); err != nil || answered != 1 {
			t.Fatalf("answered events %d %v", answered, err)
		}
	})
}

func TestChatPositionsAndClose(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		d := dispatcher("d130102", "130102")
		mate := dispatcher("d130102b", "130102")
		a := e.raise(c, Text, &museum)
		if _, err := e.s.AddMessage(ctx, c, a.ID, "  有人跟踪我  "); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AddMessage(ctx, d, a.ID, "请问您现在安全吗？"); !errors.Is(err, ErrTransition) {
			t.Fatalf("dispatcher before answer: %v", err)
		}
		if _, err := e.s.Answer(ctx, d, a.ID); err != nil {
			t.Fatal(err)
		}
		m, err := e.s.AddMessage(ctx, d, a.ID, "请问您现在安全吗？")
		if err != nil || m.From != FromDispatcher || m.Seq != 2 {
			t.Fatalf("dispatcher message %+v %v", m, err)
		}
		if _, err := e.s.AddMessage(ctx, mate, a.ID, "hi"); !errors.Is(err, ErrNotYours) {
			t.Fatalf("colleague: %v", err)
		}
		for _, bad := range []string{"", "   ", string(make([]rune, 2001))} {
			if _, err := e.s.AddMessage(ctx, c, a.ID, bad); err == nil {
				t.Fatalf("bad text %q accepted", bad)
			}
		}
		long := ""
		for i := 0; i < 2001; i++ {
			long += "字"
		}
		if _, err := e.s.AddMessage(ctx, c, a.ID, long); !errors.Is(err, ErrMessageTooLong) {
			t.Fatalf("long: %v", err)
		}
		ms, err := e.s.Messages(ctx, c, a.ID, 0)
		if err != nil || len(ms) != 2 || ms[0].Text != "有人跟踪我" || ms[0].From != FromCaller || ms[1].From != FromDispatcher || ms[1].Sender != "" {
			t.Fatalf("messages %+v %v", ms, err)
		}
		// Receipts: the caller's client got and showed message 2.
		if n, err := e.s.Ack(ctx, c, a.ID, 2, 2); err != nil || n != 2 {
			t.Fatalf("ack %d %v", n, err)
		}
		ms, _ = e.s.Messages(ctx, d, a.ID, 0)
		if ms[1].DeliveredAt == nil || ms[1].ReadAt == nil || ms[0].ReadAt != nil {
			t.Fatalf("receipts %+v", ms)
		}
		// Position stream: a new fix never replaces the confirmed one by itself.
		f, err := e.s.AddPosition(ctx, c, a.ID, station)
		if err != nil || f.Seq != 2 || f.Confirmed {
			t.Fatalf("fix %+v %v", f, err)
		}
		got, _ := e.s.Get(ctx, d, a.ID)
		if got.LocationSeq != 1 || got.LatestSeq != 2 || got.Location.Lat != museum.Lat {
			t.Fatalf("confirmed moved: %+v", got)
		}
		if _, err := e.s.AcceptPosition(ctx, d, a.ID, 9); !errors.Is(err, ErrNoSuchPosition) {
			t.Fatalf("accept missing: %v", err)
		}
		got, err = e.s.AcceptPosition(ctx, d, a.ID, 2)
		if err != nil || got.LocationSeq != 2 || got.Location.Lat != station.Lat {
			t.Fatalf("accept %+v %v", got, err)
		}
		trail, _ := e.s.Positions(ctx, d, a.ID)
		if len(trail) != 2 || trail[0].Confirmed || !trail[1].Confirmed {
			t.Fatalf("trail %+v", trail)
		}
		// Close.
		if _, err := e.s.Cancel(ctx, c, a.ID, ""); !errors.Is(err, ErrTransition) {
			t.Fatalf("cancel after answer: %v", err)
		}
		if _, err := e.s.End(ctx, d, a.ID, " "); !errors.Is(err, ErrInvalidDispo) {
			t.Fatalf("empty disposition: %v", err)
		}
		if _, err := e.s.End(ctx, mate, a.ID, "resolved"); !errors.Is(err, ErrNotYours) {
			t.Fatalf("colleague end: %v", err)
		}
		got, err = e.s.End(ctx, d, a.ID, "resolved")
		if err != nil || got.State != Closed || got.Disposition != "resolved" || got.EndedAt == nil {
			t.Fatalf("end %+v %v", got, err)
		}
		if _, err := e.s.End(ctx, d, a.ID, "resolved"); !errors.Is(err, ErrTransition) {
			t.Fatalf("double end: %v", err)
		}
		if _, err := e.s.AddMessage(ctx, c, a.ID, "还在吗"); !errors.Is(err, ErrTransition) {
			t.Fatalf("message after close: %v", err)
		}
		// Cancel before answer.
		b := e.raise(c, Text, &museum)
		if got, err := e.s.Cancel(ctx, c, b.ID, "误触"); err != nil || got.State != Cancelled {
			t.Fatalf("cancel %v", err)
		}
		if _, err := e.s.Answer(ctx, d, b.ID); !errors.Is(err, ErrTransition) {
			t.Fatalf("answer cancelled: %v", err)
		}
		// The caller's event view has no officer detail.
		es, err := e.s.Events(ctx, c, a.ID, 0, 100)
		if err != nil || len(es) < 5 {
			t.Fatalf("caller events %d %v", len(es), err)
		}
		for _, ev := range es {
			if ev.Alarm != nil && (ev.Alarm.AnsweredBy != "" || ev.Alarm.Suspicion != nil) || ev.Actor == "officer:d130102" {
				t.Fatalf("caller sees officer detail: %+v", ev)
			}
		}
	})
}

func TestOverflowAndTransfer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		a := e.raise(c, Text, &museum)
		city, prov := dispatcher("d130100", "130100"), dispatcher("d130000", "130000")
		e.clock.Add(19 * time.Second)
		if err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if q, _ := e.s.List(ctx, city, Filter{State: Queued}); len(q) != 0 {
			t.Fatal("overflowed early")
		}
		e.clock.Add(time.Second)
		e.s.Sweep(ctx)
		q, _ := e.s.List(ctx, city, Filter{State: Queued})
		if len(q) != 1 || q[0].Overflow != 1 || len(q[0].OfferedTo) != 1 || q[0].OfferedTo[0].Code != "130100" {
			t.Fatalf("city queue after 20 s: %+v", q)
		}
		if q, _ := e.s.List(ctx, dispatcher("d130102", "130102"), Filter{State: Queued}); len(q) != 1 {
			t.Fatal("left its own queue")
		}
		e.s.Sweep(ctx) // idempotent
		e.clock.Add(20 * time.Second)
		e.s.Sweep(ctx)
		if q, _ := e.s.List(ctx, prov, Filter{State: Queued}); len(q) != 1 || q[0].Overflow != 2 {
			t.Fatalf("province queue after 40 s: %+v", q)
		}
		var n int
		e.d.QueryRow(ctx, "SELECT COUNT(*) FROM alarm_events WHERE alarm_id = $1 AND type = 'overflow'", a.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("%d overflow events", n)
		}
		// The city answers; everyone who saw it still sees it.
		got, err := e.s.Answer(ctx, city, a.ID)
		if err != nil || got.Center.Code != "130100" {
			t.Fatalf("city answer %+v %v", got, err)
		}
		if _, err := e.s.Get(ctx, dispatcher("d130102", "130102"), a.ID); err != nil {
			t.Fatal(err)
		}
		// Transfer by hand to 130104 with a note.
		if _, err := e.s.Transfer(ctx, city, a.ID, "130104", "", ""); err == nil {
			t.Fatal("transfer without note")
		}
		if _, err := e.s.Transfer(ctx, city, a.ID, "999999", "x", ""); !errors.Is(err, ErrInvalidCenter) {
			t.Fatalf("bad centre: %v", err)
		}
		got, err = e.s.Transfer(ctx, city, a.ID, "130104", "报警人实际在桥西区", "203.0.113.9")
		if err != nil || got.State != Queued || got.Center.Code != "130104" {
			t.Fatalf("transfer %+v %v", got, err)
		}
		if q, _ := e.s.List(ctx, dispatcher("d130104", "130104"), Filter{State: Queued}); len(q) != 1 {
			t.Fatal("not in the new queue")
		}
		if q, _ := e.s.List(ctx, city, Filter{State: Queued}); len(q) != 0 {
			t.Fatal("still in the old queue")
		}
		if _, err := e.s.Get(ctx, city, a.ID); err != nil {
			t.Fatalf("history lost for the old centre: %v", err)
		}
		if _, err := e.s.Answer(ctx, city, a.ID); err == nil {
			t.Fatal("old centre answered after transfer")
		}
		// The old centre's feed stops at the transfer; the new one's starts there.
		old, _ := e.s.Events(ctx, city, "", 0, 500)
		if old[len(old)-1].Type != "transferred" {
			t.Fatalf("old feed ends with %s", old[len(old)-1].Type)
		}
		nw, _ := e.s.Events(ctx, dispatcher("d130104", "130104"), "", 0, 500)
		if len(nw) != 1 || nw[0].Type != "transferred" || nw[0].Alarm.Center.Code != "130104" {
			t.Fatalf("new feed %+v", nw)
		}
		ce, _ := e.s.Events(ctx, c, a.ID, 0, 500)
		if tr := ce[len(ce)-1]; tr.Type != "transferred" || tr.Data["note"] != nil || tr.Reason != "" {
			t.Fatalf("caller sees the note: %+v", tr)
		}
		entries, err := audit.New(e.d, nil).List(ctx, audit.Filter{})
		if err != nil || len(entries) == 0 || entries[len(entries)-1].Action != "alarm.transfer" {
			t.Fatalf("audit %v %v", entries, err)
		}
	})
}

func TestAbandonCallbackAndGrace(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		d := dispatcher("d130102", "130102")
		a := e.raise(c, Text, &museum)
		// No live connection yet: never abandoned by the clock alone.
		e.clock.Add(5 * time.Minute)
		e.s.Sweep(ctx)
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Queued {
			t.Fatalf("abandoned without a watched connection: %s", got.State)
		}
		if err := e.s.touchCallerConn(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(59 * time.Second)
		e.s.Sweep(ctx)
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Queued {
			t.Fatal("abandoned early")
		}
		e.clock.Add(2 * time.Second)
		e.s.Sweep(ctx)
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Abandoned {
			t.Fatalf("state %s", got.State)
		}
		list, err := e.s.CallbackList(ctx, d)
		if err != nil || len(list) != 1 || list[0].Alarm.ID != a.ID {
			t.Fatalf("call-back list %+v %v", list, err)
		}
		if _, err := e.s.AddCallback(ctx, d, a.ID, "maybe", ""); err == nil {
			t.Fatal("bad outcome")
		}
		cb, err := e.s.AddCallback(ctx, d, a.ID, "no_answer", "响铃无人接")
		if err != nil || cb.Outcome != "no_answer" {
			t.Fatal(err)
		}
		list, _ = e.s.CallbackList(ctx, d)
		if len(list[0].Callbacks) != 1 {
			t.Fatalf("callbacks %+v", list[0])
		}
		// The caller comes back: queued again.
		if _, err := e.s.AddMessage(ctx, c, a.ID, "我刚才没信号"); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Queued {
			t.Fatalf("not returned: %s", got.State)
		}
		// Dispatcher grace.
		if _, err := e.s.Answer(ctx, d, a.ID); err != nil {
			t.Fatal(err)
		}
		e.s.touchConsole(ctx, d.Username)
		e.clock.Add(29 * time.Second)
		e.s.Sweep(ctx)
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Answered {
			t.Fatal("requeued inside grace")
		}
		e.s.touchConsole(ctx, d.Username) // console still alive
		e.clock.Add(29 * time.Second)
		e.s.Sweep(ctx)
		if got, _ := e.s.Get(ctx, c, a.ID); got.State != Answered {
			t.Fatal("requeued while the console lives")
		}
		e.clock.Add(2 * time.Second)
		e.s.Sweep(ctx)
		got, _ := e.s.Get(ctx, d, a.ID)
		if got.State != Queued || got.AnsweredBy != "" {
			t.Fatalf("not requeued after grace: %+v", got)
		}
		es, _ := e.s.Events(ctx, d, a.ID, 0, 500)
		if last := es[len(es)-1]; last.Type != "requeued" || last.Reason != "dispatcher_lost" {
			t.Fatalf("last event %+v", last)
		}
	})
}

func TestEventsCursorNoGaps(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		d := dispatcher("d130102", "130102")
		snap, err := e.s.Snapshot(ctx, d)
		if err != nil || len(snap.Alarms) != 0 {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := e.raise(citizen(fmt.Sprintf("c%04d", i)), Text, &museum)
				e.s.AddMessage(ctx, citizen(fmt.Sprintf("c%04d", i)), a.ID, "help "+strconv.Itoa(i))
				e.raise(citizen(fmt.Sprintf("c%04d", i)), Text, &station) // another centre's
			}()
		}
		wg.Wait()
		var all []Event
		cursor := snap.Cursor
		for {
			es, err := e.s.Events(ctx, d, "", cursor, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				break
			}
			all = append(all, es...)
			cursor = es[len(es)-1].Seq
		}
		if len(all) != 20 {
			t.Fatalf("%d events, want 20", len(all))
		}
		seen := map[int64]bool{}
		for i, ev := range all {
			if seen[ev.Seq] || (i > 0 && ev.Seq <= all[i-1].Seq) || ev.Alarm.Center.Code != "130102" {
				t.Fatalf("event %d out of order, duplicated or foreign: %+v", i, ev)
			}
			seen[ev.Seq] = true
		}
		snap, _ = e.s.Snapshot(ctx, d)
		if len(snap.Alarms) != 10 || snap.Cursor < cursor {
			t.Fatalf("snapshot %d alarms cursor %d", len(snap.Alarms), snap.Cursor)
		}
	})
}

func TestSMSInbound(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		post := func(body string, ts int64) (SMSResult, error) {
			tss := strconv.FormatInt(ts, 10)
			sig, err := e.s.VerifySMS(tss, sms.Sign(smsSecret, tss, []byte(body)), []byte(body))
			if err != nil {
				return SMSResult{}, err
			}
			in, err := DecodeSMS([]byte(body))
			if err != nil {
				return SMSResult{}, err
			}
			return e.s.ReceiveSMS(ctx, sig, in)
		}
		now := e.clock.Now().Unix()
		b1 := `{"id":"g-1","from":"13912345678","to":"12110311","text":"我被困在电梯里"}`
		r1, err := post(b1, now)
		if err != nil || !r1.Created {
			t.Fatalf("first sms %+v %v", r1, err)
		}
		d := dispatcher("d130100", "130100")
		a, err := e.s.Get(ctx, d, r1.AlarmID)
		if err != nil || a.Kind != SMS || a.Routing.By != "number" || a.CallerPhone != "+8613912345678" {
			t.Fatalf("sms alarm %+v %v", a, err)
		}
		// Exact replay: refused, nothing changed.
		if _, err := post(b1, now); !errors.Is(err, ErrSMSReplay) {
			t.Fatalf("replay: %v", err)
		}
		// The gateway's retry (new signature, same id): idempotent.
		if r, err := post(b1, now+1); err != nil || !r.Duplicate || r.AlarmID != r1.AlarmID {
			t.Fatalf("retry %+v %v", r, err)
		}
		// A later message joins the open alarm.
		r2, err := post(`{"id":"g-2","from":"+86 139-1234-5678","to":"12110","text":"电梯在3楼和4楼之间"}`, now+2)
		if err != nil || r2.Created || r2.AlarmID != r1.AlarmID {
			t.Fatalf("join %+v %v", r2, err)
		}
		ms, _ := e.s.Messages(ctx, d, r1.AlarmID, 0)
		if len(ms) != 3 || ms[0].Channel != "sms" || ms[1].From != FromSystem || ms[2].Text != "电梯在3楼和4楼之间" {
			t.Fatalf("messages %+v", ms)
		}
		// Forged, stale, malformed.
		if _, err := e.s.VerifySMS(strconv.FormatInt(now, 10), sms.Sign([]byte("wrong"), strconv.FormatInt(now, 10), []byte(b1)), []byte(b1)); !errors.Is(err, ErrSMSSignature) {
			t.Fatalf("forged: %v", err)
		}
		if _, err := post(`{"id":"g-3","from":"13912345670","text":"x"}`, now-301); !errors.Is(err, ErrSMSTimestamp) {
			t.Fatalf("stale: %v", err)
		}
		if _, err := post(`{"id":"g-4","from":"x","text":"x"}`, now); err == nil {
			t.Fatal("bad from accepted")
		}
		// Cell position routing.
		r3, err := post(`{"id":"g-5","from":"13700000001","to":"12110","text":"抢劫","cell":{"lat":38.0103,"lng":114.4825,"accuracy_m":800}}`, now)
		if err != nil {
			t.Fatal(err)
		}
		if a3, _ := e.s.Get(ctx, dispatcher("d130104", "130104"), r3.AlarmID); a3.Routing.By != "cell" {
			t.Fatalf("cell routing %+v", a3.Routing)
		}
		// Dispatcher reply goes out by SMS.
		if _, err := e.s.Answer(ctx, d, r1.AlarmID); err != nil {
			t.Fatal(err)
		}
		m, err := e.s.AddMessage(ctx, d, r1.AlarmID, "民警正在赶来，请保持手机畅通。")
		if err != nil || m.Channel != "sms" || m.DeliveredAt == nil {
			t.Fatalf("reply %+v %v", m, err)
		}
		out, err := sms.ReadOutbox(e.outbox)
		if err != nil {
			t.Fatal(err)
		}
		last := out[len(out)-1]
		if last.To != "+8613912345678" || last.Text != "【110】民警正在赶来，请保持手机畅通。" || len(out) != 3 {
			t.Fatalf("outbox %+v", out)
		}
		var n int
		e.d.QueryRow(ctx, "SELECT COUNT(*) FROM alarms WHERE kind = 'sms'").Scan(&n)
		if n != 2 {
			t.Fatalf("%d sms alarms", n)
		}
	})
}

func TestIncidentEIDOAndStats(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		d := dispatcher("d130102", "130102")
		a := e.raise(c, Text, &museum)
		e.clock.Add(8 * time.Second)
		e.s.Answer(ctx, d, a.ID)
		if _, err := e.s.SaveIncident(ctx, d, a.ID, IncidentInput{Category: "盗窃"}); err == nil {
			t.Fatal("bad category")
		}
		inc, err := e.s.SaveIncident(ctx, d, a.ID, IncidentInput{Category: "刑事", Priority: 1, Address: "东大街4号", Notes: "嫌疑人穿黑衣"})
		if err != nil || inc.Category != "刑事" || inc.UpdatedBy != "d130102" {
			t.Fatalf("incident %+v %v", inc, err)
		}
		u, err := e.s.DispatchUnit(ctx, d, a.ID, "长安巡警一组", "")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(5 * time.Minute)
		if u, err = e.s.UnitStatus(ctx, d, a.ID, u.ID, "arrived"); err != nil || u.ArrivedAt == nil {
			t.Fatalf("arrived %+v %v", u, err)
		}
		if _, err := e.s.Incident(ctx, c, a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatal("caller read the incident")
		}
		e.s.End(ctx, d, a.ID, "dispatched")
		doc, err := e.s.EIDO(ctx, d, a.ID, "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"eidoMessageIdentifier", "incidentComponent", "callComponent", "locationComponent", "agencyComponent", "emergencyResourceComponent"} {
			if doc[k] == nil {
				t.Fatalf("EIDO lacks %s", k)
			}
		}
		entries, _ := audit.New(e.d, nil).List(ctx, audit.Filter{})
		if len(entries) == 0 || entries[len(entries)-1].Action != "alarm.incident.export" {
			t.Fatalf("export not audited: %+v", entries)
		}
		// A second alarm answered after 18 s, a third abandoned.
		b := e.raise(citizen("c0002"), Text, &museum)
		e.clock.Add(18 * time.Second)
		e.s.Answer(ctx, dispatcher("d130102b", "130102"), b.ID)
		x := e.raise(citizen("c0003"), Text, &museum)
		e.s.CallerGone(ctx, x.ID, "test")
		st, err := e.s.Stats(ctx, supervisor("130100"), "130102", e.clock.Now().Add(-time.Hour), e.clock.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if st.Answered != 2 || st.AnswerTime.P50 != 8 || st.AnswerTime.P95 != 18 || st.Within.S10 != 0.5 || st.Within.S20 != 1 ||
			st.Raised != 3 || st.Abandoned != 1 || len(st.Dispatchers) != 2 || st.QueueLength != 0 {
			t.Fatalf("stats %+v", st)
		}
		if _, err := e.s.Stats(ctx, dispatcher("d130104", "130104"), "130102", e.clock.Now().Add(-time.Hour), e.clock.Now()); err == nil {
			t.Fatal("another centre's dispatcher read the stats")
		}
		all, err := e.s.CentersStats(ctx, supervisor("130000"), e.clock.Now().Add(-time.Hour), e.clock.Now().Add(time.Second))
		if err != nil || len(all) != 1 || all[0].Center.Code != "130102" {
			t.Fatalf("centres %+v %v", all, err)
		}
		mf, err := e.reg.Gather()
		if err != nil || len(mf) < 3 {
			t.Fatalf("metrics %d %v", len(mf), err)
		}
	})
}

func TestPranksAreFlaggedNeverRejected(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0001")
		d := dispatcher("d130102", "130102")
		var last Alarm
		for i := 0; i < 4; i++ {
			last = e.raise(c, Text, &museum)
		}
		got, _ := e.s.Get(ctx, d, last.ID)
		if !got.Suspected || got.Suspicion[0].Code != "phone_frequency" {
			t.Fatalf("4th alarm in an hour: %+v", got.Suspicion)
		}
		if mine, _ := e.s.Get(ctx, c, last.ID); mine.Suspected || mine.Suspicion != nil {
			t.Fatal("caller sees the suspicion")
		}
		e.s.Answer(ctx, d, last.ID)
		e.s.End(ctx, d, last.ID, "prank")
		e.clock.Add(2 * time.Hour)
		next := e.raise(c, Text, &museum)
		got, _ = e.s.Get(ctx, d, next.ID)
		if !got.Suspected || got.Suspicion[0].Code != "previous_prank" {
			t.Fatalf("after a prank: %+v", got.Suspicion)
		}
		if q, _ := e.s.List(ctx, d, Filter{State: Queued}); len(q) != 4 {
			t.Fatalf("suspected alarms hidden: %d queued", len(q))
		}
	})
}

func TestSubscribeAndAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		got := make(chan Change, 16)
		cancel, err := e.s.Subscribe(func(c Change) { got <- c })
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		c := citizen("c0001")
		a := e.raise(c, Video, &museum)
		deadline := time.After(5 * time.Second)
		for found := false; !found; {
			select {
			case ch := <-got:
				found = ch.AlarmID == a.ID && ch.Type == "raised" && ch.Center == "130102"
			case <-deadline:
				t.Fatal("no change on the bus")
			}
		}
		acc, err := e.s.Access(ctx, c, a.ID)
		if err != nil || acc.Role != RoleCaller || acc.Kind != Video {
			t.Fatalf("caller access %+v %v", acc, err)
		}
		d := dispatcher("d130102", "130102")
		e.s.Answer(ctx, d, a.ID)
		acc, _ = e.s.Access(ctx, d, a.ID)
		if acc.Role != RoleDispatcher || !acc.Answerer {
			t.Fatalf("dispatcher access %+v", acc)
		}
		if _, err := e.s.Access(ctx, dispatcher("d130104", "130104"), a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatal("other centre has access")
		}
		m, err := e.s.AddSystemMessage(ctx, a.ID, "media", "视频链接已发送")
		if err != nil || m.From != FromSystem {
			t.Fatal(err)
		}
		// Guardian-raised alarm: both traveller and guardian are callers.
		g, _, err := e.s.RaiseFor(ctx, Text, &museum, "c0005", "+8613800000005", "c0006", "", map[string]string{"trip_id": "t1", "raised_by": "guardian"})
		if err != nil || g.Links["trip_id"] != "t1" {
			t.Fatalf("raise for %+v %v", g, err)
		}
		for _, who := range []string{"c0005", "c0006"} {
			if _, err := e.s.Get(ctx, citizen(who), g.ID); err != nil {
				t.Fatalf("%s: %v", who, err)
			}
		}
	})
}

// TestMessageClientID: a resend with the same client id (the reply to the
// first send was lost) stores the message once; another id stores again.
func TestMessageClientID(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := citizen("c0777")
		a := e.raise(c, Text, nil)
		m1, err := e.s.AddMessageOnce(ctx, c, a.ID, "我在小区门口", "k1")
		if err != nil {
			t.Fatal(err)
		}
		m2, err := e.s.AddMessageOnce(ctx, c, a.ID, "我在小区门口", "k1")
		if err != nil || m2.ID != m1.ID || m2.Seq != m1.Seq {
			t.Fatalf("resend stored again: %+v vs %+v (%v)", m2, m1, err)
		}
		if _, err := e.s.AddMessageOnce(ctx, c, a.ID, "还有一辆白色面包车", "k2"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AddMessageOnce(ctx, c, a.ID, "x", "bad id!"); !errors.Is(err, ErrInvalidClientID) {
			t.Fatalf("bad client id: %v", err)
		}
		ms, err := e.s.Messages(ctx, c, a.ID, 0)
		if err != nil || len(ms) != 2 {
			t.Fatalf("%d messages (%v), want 2", len(ms), err)
		}
	})
}

// TestAnswerAlreadyAnsweredForEveryone: once answered, any other officer
// who can see the alarm gets already_answered (409), supervisors included;
// the answerer answering again is a no-op; officers who cannot see it get
// not found.
func TestAnswerAlreadyAnsweredForEveryone(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.raise(citizen("c0888"), Text, &Position{Lat: 38.0428, Lng: 114.5149, AccuracyM: 10})
		d := dispatcher("d"+a.Center.Code, a.Center.Code)
		if _, err := e.s.Answer(ctx, d, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Answer(ctx, d, a.ID); err != nil {
			t.Fatalf("answerer again: %v", err)
		}
		if _, err := e.s.Answer(ctx, supervisor("130000"), a.ID); !errors.Is(err, ErrAlreadyAnswered) {
			t.Fatalf("province supervisor: %v, want already_answered", err)
		}
		if _, err := e.s.Answer(ctx, dispatcher("d130104", "130104"), a.ID); errors.Is(err, ErrAlreadyAnswered) || err == nil {
			t.Fatalf("other centre learned the state: %v", err)
		}
	})
}
