package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestGuardianTripEndToEnd walks 亲友互助 in real browsers: a traveller (A)
// invites a guardian (B) who accepts; A starts a taxi trip in 长安区 and
// moves; B watches the live track and A's photo, then raises an alarm for
// A; the 长安区 centre's dispatcher sees the alarm and, in the alarm view's
// linked-trip panel, the track from before the alarm; the audit log and
// A's own access view show that read; another centre's dispatcher and the
// admin get 404 for every piece of trip data.
func TestGuardianTripEndToEnd(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	const (
		phoneA, phoneB   = "13800138201", "13800138202"
		center, neighbor = "130102", "130104"
	)
	// The track: 长安区, then north-east a few hundred metres at a time.
	track := [][2]float64{{38.0428, 114.5149}, {38.0441, 114.5163}, {38.0456, 114.5180}, {38.0472, 114.5197}}
	var route struct {
		Center struct{ Code, Name string }
	}
	if st := s.Call(t, "GET", fmt.Sprintf("/api/v1/route?lat=%v&lng=%v", track[3][0], track[3][1]), "", nil, &route); st != 200 || route.Center.Code != center {
		t.Fatalf("route: %d %+v", st, route)
	}

	// Screenshots of the whole page from the top (a sticky header of a
	// scrolled page lands in the middle of a full-page capture).
	top := func(tab *Tab, name string) {
		t.Helper()
		Eval[bool](tab, `(window.scrollTo(0, 0), true)`)
		tab.Screenshot(name)
	}

	// Both are signed in to the app on their phones.
	a := b.NewTab("traveller")
	a.Phone()
	a.SetGeolocation(track[0][0], track[0][1], 12)
	a.GrantPermissions("camera", "microphone")
	a.OpenCitizen(s, phoneA)
	g := b.NewTab("guardian")
	g.Phone()
	g.OpenCitizen(s, phoneB)

	// A invites B by phone number.
	a.Click("[data-fn=guardian]")
	a.WaitVisible("[data-testid=gd-invite-form]")
	a.Screenshot("1-guardian-home-empty")
	a.Type("[data-testid=gd-invite-phone]", phoneB)
	a.Type("[data-testid=gd-invite-label]", "妈妈")
	a.Click("[data-action=invite]")
	a.WaitText("[data-testid=gd-guardians]", "等待对方接受")
	a.Screenshot("2-invited")

	// B opens the app again: a badge on the tile, the invitation, accept.
	g.Do(chromedp.Reload())
	g.WaitText("[data-fn=guardian] .badge", "1")
	g.Screenshot("3-home-badge")
	g.Click("[data-fn=guardian]")
	g.WaitText("[data-testid=gd-invites]", "138 0013 8201")
	g.Screenshot("4-invitation")
	g.Click("[data-testid=gd-invite] [data-action=accept]")
	g.WaitText("[data-testid=gd-i-guard]", "138 0013 8201")
	g.WaitGone("[data-testid=gd-invite]")

	// A starts a taxi trip with the plate as the note.
	a.Navigate(s.URL + "/#/guardian")
	a.WaitText("[data-testid=gd-guardians]", "已接受")
	a.Click("[data-action=start-trip]")
	a.WaitVisible("[data-testid=gd-start-form]")
	if got := Eval[bool](a, `document.querySelector('[data-testid=gd-start-form] input[name=guardian]').checked`); !got {
		t.Error("the default guardian is not ticked")
	}
	a.Click("[data-mode=taxi]")
	a.Type("[data-testid=gd-note]", "冀A·D1234 白色轿车")
	a.Type("[data-testid=gd-dest]", "长安区育才街")
	a.SetValue("[data-testid=gd-expected]", "60")
	a.Screenshot("5-start")
	a.Click("[data-action=start]")
	a.WaitVisible("[data-testid=gd-share][data-state=sharing]")
	tripID := Eval[string](a, `location.hash.split('/').pop()`)
	if !strings.HasPrefix(Eval[string](a, `location.hash`), "#/guardian/trips/") || tripID == "" {
		t.Fatalf("after starting, the traveller is at %q", Eval[string](a, `location.hash`))
	}
	a.WaitText("[data-testid=gd-share]", "仅限本次行程")
	a.WaitFunc("the first point to be uploaded", func() (string, bool) {
		n := a.Count("[data-testid=gd-pending]")
		return fmt.Sprint(n), n == 0
	})

	// A takes a photo of the plate in the app (Chromium's fake camera).
	if n := a.Count("input[type=file]"); n != 0 {
		t.Fatalf("the trip screen has %d file pickers", n)
	}
	a.Click("[data-action=photo]")
	a.WaitFunc("the camera to run", func() (string, bool) {
		v := Eval[float64](a, `document.querySelector('[data-testid=gd-viewfinder]').videoWidth`)
		return fmt.Sprint(v), v > 0
	})
	a.Click("[data-action=shoot]")
	a.WaitVisible("[data-testid=gd-sent-media] figure[data-kind=photo].loaded")
	a.Click("[data-action=close-camera]")
	top(a, "6-trip-traveller")

	// B follows the trip live: from the 亲友互助 screen to the map.
	g.Navigate(s.URL + "/#/guardian")
	g.Click("[data-testid=gd-guarded-trip][data-trip='" + tripID + "']")
	g.WaitVisible("[data-testid=gd-feed-status][data-status=open]")
	g.WaitVisible(fmt.Sprintf("[data-testid=gd-last][data-lat='%.5f']", track[0][0]))
	g.WaitText("[data-testid=gd-trip-head]", "冀A·D1234")
	g.WaitVisible("[data-testid=gd-media] figure[data-kind=photo].loaded")
	g.Screenshot("7-watch-start")
	for i, p := range track[1:] {
		a.SetGeolocation(p[0], p[1], 10)
		g.WaitVisible(fmt.Sprintf("[data-testid=gd-last][data-lat='%.5f'][data-lng='%.5f']", p[0], p[1]))
		if i == 1 {
			g.Screenshot("8-watch-moving")
		}
	}
	// Every point so far is on the map (Leaflet draws the line as one path).
	g.WaitFunc("the whole track", func() (string, bool) {
		n := Eval[int](g, `Number(document.querySelector('[data-testid=gd-last]').dataset.points || 0)`)
		return fmt.Sprint(n), n >= len(track)
	})
	if n := g.Count("[data-testid=gd-map] path.leaflet-interactive"); n < 2 {
		t.Errorf("the guardian's map draws %d paths (want the track and the accuracy circle)", n)
	}
	g.Screenshot("9-watch-moved")

	// The home screens: A's running trip, B's guarded trip.
	a.Navigate(s.URL + "/#/")
	a.WaitVisible("[data-testid=gd-home-trip][data-trip='" + tripID + "']")
	top(a, "10-home-trip-card")
	a.Click("[data-testid=gd-home-trip]")
	a.WaitVisible("[data-testid=gd-share][data-state=sharing]")

	// B raises an alarm for A, with a confirm step.
	g.Click("[data-action=alarm-for]")
	g.WaitVisible("[data-testid=gd-alarm-confirm]")
	g.Screenshot("11-alarm-confirm")
	g.Click("[data-testid=gd-alarm-confirm] [data-action=confirm-yes]")
	g.WaitText("[data-testid=gd-alarm-raised]", route.Center.Name)
	g.WaitVisible("[data-testid=gd-flags] [data-flag=alarm]")
	g.Screenshot("12-alarm-raised")

	tokA := a.LocalStorage(CitizenTokenKey)
	var trip struct {
		Alarms []struct {
			AlarmID  string `json:"alarm_id"`
			RaisedBy string `json:"raised_by"`
			Center   string
		}
	}
	tokB := g.LocalStorage(CitizenTokenKey)
	if st := s.Call(t, "GET", "/api/v1/trips/"+tripID, tokB, nil, &trip); st != 200 || len(trip.Alarms) != 1 || trip.Alarms[0].RaisedBy != "guardian" || trip.Alarms[0].Center != center {
		t.Fatalf("trip alarms seen by the guardian: %d %+v", st, trip.Alarms)
	}
	alarmID := trip.Alarms[0].AlarmID

	// The 长安区 dispatcher sees the alarm in the queue and, in the alarm
	// view, the linked trip: an audit notice first, the track on request.
	desk := b.NewTab("dispatcher")
	desk.Desktop()
	desk.OpenConsole(s, "d"+center)
	desk.Navigate(s.URL + "/console/#/queue")
	desk.WaitVisible("[data-testid=queue] [data-alarm='" + alarmID + "']")
	desk.Screenshot("13-queue")
	desk.Navigate(s.URL + "/console/#/alarms/" + alarmID)
	desk.WaitVisible("[data-testid=linked-trip][data-trip='" + tripID + "']")
	desk.WaitText("[data-testid=linked-trip-notice]", "审计")
	desk.WaitText("[data-testid=linked-trip]", "守护人")
	Eval[bool](desk, `(document.querySelector('[data-testid=linked-trip]').scrollIntoView(), true)`)
	desk.Screenshot("14-linked-trip-before-read")
	desk.Click("[data-action=load-linked-trip]")
	desk.WaitText("[data-testid=linked-trip-facts]", "冀A·D1234")
	facts := desk.Text("[data-testid=linked-trip-facts]")
	if !strings.Contains(facts, fmt.Sprintf("%.5f", track[3][0])) {
		t.Errorf("the last position before the alarm is not the traveller's: %q", facts)
	}
	desk.WaitVisible("[data-testid=linked-trip-media] figure[data-kind=photo][data-loaded]")
	if n := desk.Count("[data-testid=linked-trip-map] path.leaflet-interactive"); n < 2 {
		t.Errorf("the linked-trip map draws %d paths", n)
	}
	Eval[bool](desk, `(document.querySelector('[data-testid=linked-trip]').scrollIntoView(), true)`)
	desk.Screenshot("15-linked-trip")

	// The read is in the audit log (supervisor/admin API) …
	adminTok := s.OfficerToken(t, "admin")
	var log struct {
		Entries []struct{ Actor, Action, Object, Subject string }
	}
	if st := s.Call(t, "GET", "/api/v1/audit?action=trip.police.*", adminTok, nil, &log); st != 200 {
		t.Fatalf("audit: %d", st)
	}
	reads, mediaReads := 0, 0
	for _, e := range log.Entries {
		if e.Actor != "officer:d"+center || e.Object != "trip:"+tripID {
			t.Errorf("audit entry %+v", e)
		}
		switch e.Action {
		case "trip.police.read":
			reads++
		case "trip.police.media":
			mediaReads++
		}
	}
	if reads != 1 || mediaReads != 1 {
		t.Errorf("audit has %d reads and %d media reads of the trip, want 1 and 1: %+v", reads, mediaReads, log.Entries)
	}
	// … and in the traveller's own view of who looked at their trip data.
	var acc struct {
		Accesses []struct {
			Officer string
			AlarmID string `json:"alarm_id"`
		}
	}
	if st := s.Call(t, "GET", "/api/v1/trips/access-log", tokA, nil, &acc); st != 200 || len(acc.Accesses) != 2 || acc.Accesses[0].AlarmID != alarmID {
		t.Errorf("access log: %d %+v", st, acc)
	}
	a.Navigate(s.URL + "/#/guardian/access")
	a.WaitText("[data-testid=gd-access-list]", "d"+center)
	top(a, "16-access-log")

	// Nobody else gets the trip: another centre's dispatcher and the admin.
	var media struct{ Media []struct{ ID string } }
	if st := s.Call(t, "GET", "/api/v1/trips/linked?alarm_id="+alarmID, s.OfficerToken(t, "d"+center), nil, &media); st != 200 || len(media.Media) != 1 {
		t.Fatalf("dispatcher read: %d %+v", st, media)
	}
	for _, u := range []string{"d" + neighbor, "admin"} {
		tok := s.OfficerToken(t, u)
		for _, path := range []string{
			"/api/v1/trips/linked?alarm_id=" + alarmID,
			"/api/v1/trips/linked/media/" + media.Media[0].ID + "?alarm_id=" + alarmID,
			"/api/v1/trips/" + tripID,
			"/api/v1/trips/" + tripID + "/points",
		} {
			if st := s.Call(t, "GET", path, tok, nil, nil); st != 404 {
				t.Errorf("%s GET %s: %d, want 404", u, path, st)
			}
		}
	}

	// A arrives; B sees the trip end.
	a.Navigate(s.URL + "/#/guardian/trips/" + tripID)
	a.Click("[data-action=arrive]")
	a.WaitVisible("[data-testid=gd-end-confirm]")
	a.Click("[data-testid=gd-end-confirm] [data-action=confirm-yes]")
	a.WaitVisible("[data-testid=gd-ended]")
	a.WaitVisible("[data-testid=gd-share][data-state=stopped]")
	top(a, "17-arrived")
	g.WaitVisible("[data-testid=gd-flags] [data-flag=ended]")
	g.Screenshot("18-watch-ended")

	a.NoConsoleErrors()
	g.NoConsoleErrors()
	// The admin module's caller-profile card asks with a dispatcher's token (403): its owner's.
	desk.NoConsoleErrors("403.*/recordings", "403.*/api/v1/profile/")
}
