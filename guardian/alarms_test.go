package guardian_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/alarm"
	"open110/audit"
	"open110/guardian"
)

var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{7}, 500)...)

// TestPoliceAccess: police reach trip data only through a linked alarm, only
// at the centre handling it, only while it is open, and every read is
// audited and shown to the traveller.
func TestPoliceAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		t0 := e.clock.Now()
		tr := e.startTrip(me, guardian.StartRequest{Note: "冀A·12345"})
		e.add(me, tr.ID, pt(1, t0.Add(10*time.Second), station), pt(2, t0.Add(20*time.Second), museum))
		m, err := e.g.AddMedia(ctx, me, tr.ID, guardian.MediaUpload{Kind: "photo", ClientID: "plate-1"}, bytes.NewReader(jpeg))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)

		d102 := officer("d130102", account.Dispatcher, "130102")
		h102 := officer("h130102", account.Handler, "130102")
		d104 := officer("d130104", account.Dispatcher, "130104")
		admin := officer("admin", account.Admin, "130000")
		sup := officer("s130000", account.Supervisor, "130000")
		// An unrelated alarm of the same centre opens nothing.
		other, _, err := e.alarms.Raise(ctx, e.citizen("13800000009"), alarm.RaiseRequest{Kind: alarm.Text, Location: &alarm.Position{Lat: museum.Lat, Lng: museum.Lng, AccuracyM: 10}})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{other.ID, "anosuch", ""} {
			if _, err := e.g.PoliceRead(ctx, d102, id, "10.1.1.1"); code(err) != "trip_not_found" {
				t.Fatalf("alarm %q without a trip: %v", id, err)
			}
		}

		// The guardian raises an alarm for her: routed by the last position
		// (the museum → 长安区 130102), linked, carrying the phone.
		raised, err := e.g.RaiseAlarm(ctx, mum, tr.ID, guardian.RaiseRequest{})
		if err != nil || raised.Center != "130102" {
			t.Fatalf("raise: %+v %v", raised, err)
		}
		a, err := e.alarms.Get(ctx, d102, raised.AlarmID)
		if err != nil || a.Links["trip_id"] != tr.ID || a.Links["raised_by"] != "guardian" || a.CallerPhone != me.Phone || a.CallerID != me.ID {
			t.Fatalf("alarm: %+v %v", a, err)
		}
		msgs, _ := e.alarms.Messages(ctx, d102, raised.AlarmID, 0)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "冀A·12345") || !strings.Contains(msgs[0].Text, "守护人") {
			t.Fatalf("system note: %+v", msgs)
		}
		// A double tap returns the same alarm.
		again, _ := e.g.RaiseAlarm(ctx, mum, tr.ID, guardian.RaiseRequest{})
		if again.AlarmID != raised.AlarmID {
			t.Fatalf("double tap raised another alarm")
		}
		// Points after the alarm are not pre-incident data.
		e.add(me, tr.ID, pt(3, e.clock.Now().Add(time.Second), station))

		// The centre's dispatcher and handling officer read it.
		for _, p := range []account.Principal{d102, h102} {
			v, err := e.g.PoliceRead(ctx, p, raised.AlarmID, "10.1.1.1")
			if err != nil {
				t.Fatalf("%s: %v", p.Username, err)
			}
			if len(v.Points) != 2 || len(v.Media) != 1 || v.Trip.Note != "冀A·12345" || v.Trip.Last == nil || v.Trip.Last.Lat != museum.Lat || v.Notice == "" {
				t.Fatalf("%s view: %+v", p.Username, v)
			}
		}
		mm, rc, err := e.g.PoliceMedia(ctx, d102, raised.AlarmID, m.ID, "10.1.1.1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, jpeg) || mm.MIME != "image/jpeg" {
			t.Fatalf("media: %s %d", mm.MIME, len(b))
		}
		// Nobody else, whatever the rank; citizens neither.
		for name, p := range map[string]account.Principal{"other centre": d104, "admin": admin, "supervisor": sup,
			"province dispatcher": officer("d130000", account.Dispatcher, "130000"), "guardian": mum, "traveller": me} {
			if _, err := e.g.PoliceRead(ctx, p, raised.AlarmID, "10.1.1.1"); code(err) != "trip_not_found" {
				t.Errorf("%s: %v", name, err)
			}
			if _, _, err := e.g.PoliceMedia(ctx, p, raised.AlarmID, m.ID, "10.1.1.1"); code(err) != "trip_not_found" {
				t.Errorf("%s media: %v", name, err)
			}
		}
		// Every read was audited: who, IPs, which alarm, whose data.
		es, err := e.audit.List(ctx, audit.Filter{Action: "trip.police.*"})
		if err != nil || len(es) != 3 {
			t.Fatalf("audit: %d %v", len(es), err)
		}
		if es[0].Actor != "officer:d130102" || es[0].RequestIP != "10.1.1.1" || es[0].ActorIP != "10.0.0.7" || es[0].Object != "trip:"+tr.ID ||
			es[0].Subject != "citizen:"+me.ID || es[0].Detail["alarm_id"] != raised.AlarmID {
			t.Fatalf("audit entry: %+v", es[0])
		}
		// The traveller sees every access.
		log, err := e.g.AccessLog(ctx, me)
		if err != nil || len(log) != 3 || log[0].Officer != "officer:d130102" || log[2].Action != "trip.police.media" {
			t.Fatalf("access log: %+v %v", log, err)
		}
		if l, _ := e.g.AccessLog(ctx, mum); len(l) != 0 {
			t.Fatalf("someone else's access log: %+v", l)
		}
		// Transferred away: the old centre loses it, the new one gains it.
		if _, err := e.alarms.Transfer(ctx, d102, raised.AlarmID, "130104", "在桥西区", "10.1.1.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.g.PoliceRead(ctx, d102, raised.AlarmID, "10.1.1.1"); code(err) != "trip_not_found" {
			t.Fatalf("old centre after transfer: %v", err)
		}
		if _, err := e.g.PoliceRead(ctx, d104, raised.AlarmID, "10.1.1.1"); err != nil {
			t.Fatalf("new centre: %v", err)
		}
		// Closed: the case is no longer open to anyone.
		if _, err := e.alarms.Answer(ctx, d104, raised.AlarmID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.alarms.End(ctx, d104, raised.AlarmID, "resolved"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.g.PoliceRead(ctx, d104, raised.AlarmID, "10.1.1.1"); code(err) != "trip_not_found" {
			t.Fatalf("closed case: %v", err)
		}

		// The traveller's own SOS: silent by default, visible on their trip.
		sos, err := e.g.RaiseAlarm(ctx, me, tr.ID, guardian.RaiseRequest{})
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := e.alarms.Get(ctx, me, sos.AlarmID)
		if sa.Kind != alarm.Silent || sa.Links["raised_by"] != "traveller" {
			t.Fatalf("sos: %+v", sa)
		}
		mine, _ := e.g.Get(ctx, me, tr.ID)
		if len(mine.Alarms) != 1 || mine.Alarms[0].AlarmID != sos.AlarmID {
			t.Fatalf("traveller sees only their SOS: %+v", mine.Alarms)
		}
		theirs, _ := e.g.Get(ctx, mum, tr.ID)
		if len(theirs.Alarms) != 2 {
			t.Fatalf("guardian sees both alarms: %+v", theirs.Alarms)
		}
		if _, err := e.g.RaiseAlarm(ctx, me, tr.ID, guardian.RaiseRequest{Kind: "sms"}); code(err) != "invalid_kind" {
			t.Fatalf("kind: %v", err)
		}
	})
}

// TestDuress: the duress PIN ends the trip exactly like a normal end on the
// traveller's screen and raises a silent alarm.
func TestDuress(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		if err := e.g.SetDuressPIN(ctx, me, "12a4"); code(err) != "invalid_pin" {
			t.Fatalf("pin: %v", err)
		}
		if err := e.g.SetDuressPIN(ctx, me, "9111"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.g.HasDuressPIN(ctx, me); !ok {
			t.Fatal("pin not set")
		}
		var stored string
		_ = e.d.QueryRow(ctx, "SELECT hash FROM guardian_pins WHERE owner_id = $1", me.ID).Scan(&stored)
		if stored == "" || strings.Contains(stored, "9111") {
			t.Fatalf("pin stored as %q", stored)
		}

		endWith := func(pin string) (guardian.Trip, map[string]any) {
			tr := e.startTrip(me, guardian.StartRequest{Note: "网约车"})
			e.add(me, tr.ID, pt(1, e.clock.Now(), museum))
			e.clock.Add(time.Minute)
			end, err := e.g.End(ctx, me, tr.ID, pin)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(end)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			for _, k := range []string{"id", "started_at", "ended_at", "last", "last_seen_at"} {
				delete(m, k)
			}
			e.clock.Add(time.Minute)
			return end, m
		}
		normal, nv := endWith("1234")
		duress, dv := endWith("9111")
		nb, _ := json.Marshal(nv)
		db, _ := json.Marshal(dv)
		if string(nb) != string(db) {
			t.Fatalf("duress end differs on screen:\n%s\n%s", nb, db)
		}
		// The traveller's later views show nothing either.
		if got, _ := e.g.Get(ctx, me, duress.ID); got.EndKind != guardian.EndArrived || len(got.Alarms) != 0 {
			t.Fatalf("traveller view: %+v", got)
		}
		// The alarm is raised (right after the end; the timer retries too).
		var alarmID string
		for i := 0; i < 100 && alarmID == ""; i++ {
			if err := e.g.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := e.g.Get(ctx, mum, duress.ID); len(got.Alarms) == 1 {
				alarmID = got.Alarms[0].AlarmID
			} else {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if alarmID == "" {
			t.Fatal("no duress alarm")
		}
		a, err := e.alarms.Get(ctx, officer("d130102", account.Dispatcher, "130102"), alarmID)
		if err != nil || a.Kind != alarm.Silent || a.Links["raised_by"] != "duress" || a.CallerPhone != me.Phone || a.CallerID != "" {
			t.Fatalf("duress alarm: %+v %v", a, err)
		}
		// Not in the traveller's alarm list.
		if _, err := e.alarms.Get(ctx, me, alarmID); err == nil {
			t.Fatal("the duress alarm shows in the traveller's app")
		}
		// A normal end raised nothing.
		if got, _ := e.g.Get(ctx, mum, normal.ID); len(got.Alarms) != 0 {
			t.Fatalf("normal end raised an alarm: %+v", got.Alarms)
		}
		// Guardians are told (SMS) — not the traveller.
		e.waitSMS(mum.Phone, "胁迫")
		for _, s := range e.sms(me.Phone) {
			if strings.Contains(s, "胁迫") || strings.Contains(s, "报警") {
				t.Fatalf("traveller SMS gives it away: %s", s)
			}
		}
		// Police reads under it stay out of the traveller's access view.
		if _, err := e.g.PoliceRead(ctx, officer("d130102", account.Dispatcher, "130102"), alarmID, "10.1.1.1"); err != nil {
			t.Fatal(err)
		}
		if l, _ := e.g.AccessLog(ctx, me); len(l) != 0 {
			t.Fatalf("duress reads shown: %+v", l)
		}
		// Nor in "my data": its access log withholds them, the export shows
		// an arrival, and a deletion keeps the trip without naming the alarm.
		hide, err := e.g.Withheld(ctx, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		es, _ := e.audit.List(ctx, audit.Filter{Subject: "citizen:" + me.ID, Action: "trip.police.*"})
		if len(es) == 0 || !hide(es[0]) {
			t.Fatalf("police read under duress not withheld: %+v", es)
		}
		x, _ := e.g.ExportFor(ctx, me.ID)
		for _, tr := range x.Trips {
			if len(tr.Alarms) != 0 || tr.EndKind != guardian.EndArrived {
				t.Fatalf("export gives the duress away: %+v", tr.Trip)
			}
		}
		holds, _ := e.g.DeleteFor(ctx, me.ID, true)
		if len(holds) != 1 || holds[0].ID != duress.ID || holds[0].Reason != "legal_retention" || strings.Contains(holds[0].Detail, "报警") {
			t.Fatalf("deletion gives the duress away: %+v", holds)
		}
		// Exactly one alarm however often the timer runs.
		_ = e.g.Tick(ctx)
		if got, _ := e.g.Get(ctx, mum, duress.ID); len(got.Alarms) != 1 {
			t.Fatalf("alarms: %+v", got.Alarms)
		}
	})
}
