package guardian_test

import (
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/guardian"
)

func TestLinks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		stranger := e.citizen("13800000003")

		if _, err := e.g.Invite(ctx, me, "13900009999", "", false); code(err) != "not_registered" {
			t.Fatalf("unregistered phone: %v", err)
		}
		if _, err := e.g.Invite(ctx, me, "not a phone", "", false); code(err) != "invalid_phone" {
			t.Fatalf("bad phone: %v", err)
		}
		if _, err := e.g.Invite(ctx, me, me.Phone, "", false); code(err) != "self_invite" {
			t.Fatalf("self: %v", err)
		}
		if _, err := e.g.Invite(ctx, officer("d130102", account.Dispatcher, "130102"), mum.Phone, "", false); err == nil {
			t.Fatal("an officer invited a guardian")
		}
		l, err := e.g.Invite(ctx, me, "138 0000 0002", "妈妈", true)
		if err != nil || l.State != guardian.LinkPending || !l.Default || l.Label != "妈妈" {
			t.Fatalf("invite: %+v %v", l, err)
		}
		if _, err := e.g.Invite(ctx, me, mum.Phone, "", false); code(err) != "already_linked" {
			t.Fatalf("twice: %v", err)
		}
		if got := e.sms(mum.Phone); len(got) != 1 {
			t.Fatalf("invitation SMS: %v", got)
		}
		// The invitee sees the invitation (without the inviter's private label).
		ls, err := e.g.ListLinks(ctx, mum)
		if err != nil || len(ls.Invites) != 1 || ls.Invites[0].Label != "" || ls.Invites[0].Owner != me.Phone {
			t.Fatalf("invites: %+v %v", ls, err)
		}
		// Only the invitee answers.
		if _, err := e.g.Respond(ctx, stranger, l.ID, true); code(err) != "guardian_link_not_found" {
			t.Fatalf("stranger accepts: %v", err)
		}
		if _, err := e.g.Respond(ctx, me, l.ID, true); code(err) != "guardian_link_not_found" {
			t.Fatalf("owner accepts own invite: %v", err)
		}
		if l, err = e.g.Respond(ctx, mum, l.ID, true); err != nil || l.State != guardian.LinkAccepted {
			t.Fatalf("accept: %+v %v", l, err)
		}
		if _, err := e.g.Respond(ctx, mum, l.ID, false); code(err) != "invalid_link_state" {
			t.Fatalf("decline after accept: %v", err)
		}
		ls, _ = e.g.ListLinks(ctx, me)
		if len(ls.Guardians) != 1 || ls.Guardians[0].State != guardian.LinkAccepted {
			t.Fatalf("my guardians: %+v", ls)
		}
		ls, _ = e.g.ListLinks(ctx, mum)
		if len(ls.Guarding) != 1 || ls.Guarding[0].OwnerID != me.ID {
			t.Fatalf("guarding: %+v", ls)
		}

		// Decline, then invite afresh.
		l2, _ := e.g.Invite(ctx, me, stranger.Phone, "", false)
		if _, err := e.g.Respond(ctx, stranger, l2.ID, false); err != nil {
			t.Fatal(err)
		}
		if l3, err := e.g.Invite(ctx, me, stranger.Phone, "", false); err != nil || l3.ID != l2.ID || l3.State != guardian.LinkPending {
			t.Fatalf("re-invite: %+v %v", l3, err)
		}

		// Up to five defaults.
		var links []guardian.Link
		for i := range 5 {
			g := e.citizen("1370000000" + string(rune('0'+i)))
			links = append(links, e.guardOf(me, g, false))
		}
		for i := range 4 {
			if _, err := e.g.SetDefault(ctx, me, links[i].ID, true); err != nil {
				t.Fatalf("default %d: %v", i, err)
			}
		}
		if _, err := e.g.SetDefault(ctx, me, links[4].ID, true); code(err) != "too_many_defaults" {
			t.Fatalf("sixth default: %v", err)
		}
		if _, err := e.g.SetDefault(ctx, mum, links[4].ID, true); code(err) != "guardian_link_not_found" {
			t.Fatalf("someone else's link: %v", err)
		}

		// Either side revokes; a revoked guardian is no longer listed.
		if err := e.g.Revoke(ctx, mum, l.ID); err != nil {
			t.Fatal(err)
		}
		ls, _ = e.g.ListLinks(ctx, mum)
		if len(ls.Guarding) != 0 {
			t.Fatalf("still guarding after revoke: %+v", ls)
		}
		if err := e.g.Revoke(ctx, stranger, links[0].ID); code(err) != "guardian_link_not_found" {
			t.Fatalf("stranger revokes: %v", err)
		}
		// The revoked default no longer counts: a fifth default fits now.
		if _, err := e.g.SetDefault(ctx, me, links[4].ID, true); err != nil {
			t.Fatalf("default after revoke: %v", err)
		}
	})
}

func TestTripStartAndVisibility(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		dad := e.citizen("13800000003")
		stranger := e.citizen("13800000004")

		// No guardians yet.
		if _, err := e.g.Start(ctx, me, guardian.StartRequest{Mode: guardian.Taxi}); code(err) != "no_guardians" {
			t.Fatalf("no guardians: %v", err)
		}
		lm := e.guardOf(me, mum, true)
		ld := e.guardOf(me, dad, false)
		if _, err := e.g.Start(ctx, me, guardian.StartRequest{Mode: "bus"}); code(err) != "invalid_mode" {
			t.Fatalf("mode: %v", err)
		}
		past := e.clock.Now().Add(-time.Minute)
		if _, err := e.g.Start(ctx, me, guardian.StartRequest{Mode: guardian.Taxi, ExpectedAt: &past}); code(err) != "invalid_expected_at" {
			t.Fatalf("expected in the past: %v", err)
		}
		if _, err := e.g.Start(ctx, me, guardian.StartRequest{Mode: guardian.Taxi, Guardians: []string{"glnope"}}); code(err) != "invalid_guardians" {
			t.Fatalf("foreign guardian: %v", err)
		}
		// Defaults: only mum.
		tr := e.startTrip(me, guardian.StartRequest{Mode: guardian.Taxi, Note: "冀A·12345"})
		if len(tr.Guardians) != 1 || tr.Guardians[0].ID != mum.ID || tr.State != guardian.TripActive {
			t.Fatalf("trip: %+v", tr)
		}
		if _, err := e.g.Start(ctx, me, guardian.StartRequest{Mode: guardian.Taxi}); code(err) != "trip_active" {
			t.Fatalf("second trip: %v", err)
		}
		if got := e.sms(mum.Phone); len(got) < 2 || !strings.Contains(got[len(got)-1], "守护") {
			t.Fatalf("guardian told of the trip: %v", got)
		}
		// Mum sees it; dad (a guardian, but not named) and a stranger do not;
		// no officer of any rank does.
		if g, err := e.g.Get(ctx, mum, tr.ID); err != nil || g.Role != guardian.RoleGuardian || g.Note != "冀A·12345" {
			t.Fatalf("guardian view: %+v %v", g, err)
		}
		for name, p := range map[string]account.Principal{"unnamed guardian": dad, "stranger": stranger,
			"dispatcher": officer("d130102", account.Dispatcher, "130102"), "admin": officer("admin", account.Admin, "130000"),
			"supervisor": officer("s130000", account.Supervisor, "130000")} {
			if _, err := e.g.Get(ctx, p, tr.ID); code(err) != "trip_not_found" {
				t.Errorf("%s: %v", name, err)
			}
			if _, err := e.g.Track(ctx, p, tr.ID); code(err) != "trip_not_found" {
				t.Errorf("%s track: %v", name, err)
			}
		}
		_, guarding, _ := e.g.List(ctx, mum)
		if len(guarding) != 1 {
			t.Fatalf("mum's list: %+v", guarding)
		}
		_, guarding, _ = e.g.List(ctx, dad)
		if len(guarding) != 0 {
			t.Fatalf("dad sees a trip that does not name him: %+v", guarding)
		}
		// A guardian cannot end it; the traveller does: arrived safely.
		if _, err := e.g.End(ctx, mum, tr.ID, ""); code(err) != "trip_not_found" {
			t.Fatalf("guardian ends: %v", err)
		}
		end, err := e.g.End(ctx, me, tr.ID, "")
		if err != nil || end.State != guardian.TripEnded || end.EndKind != guardian.EndArrived {
			t.Fatalf("end: %+v %v", end, err)
		}
		if got := e.sms(mum.Phone); !strings.Contains(got[len(got)-1], "报平安") {
			t.Fatalf("arrival SMS: %v", got)
		}
		// Chosen guardians for the next trip.
		tr2 := e.startTrip(me, guardian.StartRequest{Mode: guardian.NightRun, Guardians: []string{ld.ID, lm.ID, ld.ID}})
		if len(tr2.Guardians) != 2 {
			t.Fatalf("chosen guardians: %+v", tr2.Guardians)
		}
	})
}

func TestRevokedMidTrip(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		l := e.guardOf(me, mum, true)
		tr := e.startTrip(me, guardian.StartRequest{})
		e.add(me, tr.ID, pt(1, e.clock.Now(), museum))
		if _, err := e.g.Get(ctx, mum, tr.ID); err != nil {
			t.Fatal(err)
		}
		// Revoked mid-trip: access ends at once, for this trip and the media.
		if err := e.g.Revoke(ctx, me, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.g.Get(ctx, mum, tr.ID); code(err) != "trip_not_found" {
			t.Fatalf("revoked guardian still sees the trip: %v", err)
		}
		if _, err := e.g.RaiseAlarm(ctx, mum, tr.ID, guardian.RaiseRequest{}); code(err) != "trip_not_found" {
			t.Fatalf("revoked guardian raises: %v", err)
		}
		// The trip goes on for the traveller.
		got, err := e.g.Get(ctx, me, tr.ID)
		if err != nil || len(got.Guardians) != 0 || got.State != guardian.TripActive {
			t.Fatalf("traveller view: %+v %v", got, err)
		}
		// Re-invited and accepted, she is not silently back on this trip.
		e.guardOf(me, mum, false)
		if _, err := e.g.Get(ctx, mum, tr.ID); code(err) != "trip_not_found" {
			t.Fatalf("re-linked guardian sees the old trip: %v", err)
		}
	})
}
