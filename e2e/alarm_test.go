package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A citizen in 长安区 raises a text alarm in the app; the 长安区 centre's
// console shows it at once; the dispatcher answers; they chat both ways
// (quick phrase, typed replies, read marks); the caller moves and the
// dispatcher accepts the new position with one action; the dispatcher
// records the incident, dispatches a unit and closes. Another centre's
// dispatcher (桥西区, 130104) never sees it, in the UI or the API.
func TestTextAlarmEndToEnd(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	const (
		phone            = "13800138500"
		lat, lng         = 38.0428, 114.5149 // WGS-84, 长安区
		center, neighbor = "130102", "130104"
	)
	var route struct {
		Center struct{ Code, Name string }
	}
	if st := s.Call(t, "GET", fmt.Sprintf("/api/v1/route?lat=%v&lng=%v", lat, lng), "", nil, &route); st != 200 || route.Center.Code != center {
		t.Fatalf("route: %d %+v", st, route)
	}

	// Both consoles are open and live before the alarm comes.
	desk := b.NewTab("dispatcher")
	desk.Desktop()
	desk.OpenConsole(s, "d"+center)
	desk.Navigate(s.URL + "/console/#/queue")
	desk.WaitVisible("[data-testid=queue-empty]")
	desk.WaitVisible("[data-testid=feed-status][data-status=live]")
	other := b.NewTab("other-centre")
	other.Desktop()
	other.OpenConsole(s, "d"+neighbor)
	other.Navigate(s.URL + "/console/#/queue")
	other.WaitVisible("[data-testid=feed-status][data-status=live]")
	// Note the moment a row appears (dispatcher) and whether one ever does (other centre).
	watchRows := `(() => { window.__rowAt = 0; window.__rows = [];
		new MutationObserver(() => { for (const r of document.querySelectorAll('[data-testid=queue] [data-alarm]')) {
			if (!window.__rows.includes(r.dataset.alarm)) { window.__rows.push(r.dataset.alarm); if (!window.__rowAt) window.__rowAt = Date.now(); } } })
		.observe(document.body, { childList: true, subtree: true }); return true; })()`
	Eval[bool](desk, watchRows)
	Eval[bool](other, watchRows)

	// The citizen raises a text alarm with a first message.
	caller := b.NewTab("caller")
	caller.Phone()
	caller.SetGeolocation(lat, lng, 10)
	caller.OpenCitizen(s, phone)
	caller.Click(`[data-fn=text]`)
	caller.WaitText("[data-testid=position-indicator]", "已获取位置")
	caller.Type("[data-testid=alarm-text]", "小区门口有人持刀打架，有人受伤")
	caller.Screenshot("1-raise")
	caller.Click("[data-action=raise]")
	caller.WaitText("[data-testid=alarm-state]", "正在为您接通110")
	id := Eval[string](caller, `location.hash.split('/').pop()`)
	if !strings.HasPrefix(id, "a") {
		t.Fatalf("after raising, the caller is at %q", Eval[string](caller, `location.hash`))
	}
	caller.WaitText("[data-testid=center-name]", route.Center.Name)
	caller.WaitText("[data-testid=position-indicator]", "正在共享位置")
	caller.Screenshot("2-queued")

	// The right console shows it: within a second of the 201 is the goal;
	// the wait is generous (a loaded machine), the measured time is logged.
	row := "[data-testid=queue] [data-alarm='" + id + "']"
	desk.WaitVisible(row)
	raisedAt := Eval[float64](caller, `(() => { const e = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/v1/alarms') && r.initiatorType === 'fetch').pop();
		return e ? performance.timeOrigin + e.responseEnd : 0; })()`)
	shownAt := Eval[float64](desk, `window.__rowAt`)
	if raisedAt > 0 && shownAt > 0 {
		t.Logf("201 → row in the 长安区 console: %.0f ms (goal: under 1 s)", shownAt-raisedAt)
	}
	if got := desk.Text(row); !strings.Contains(got, "文字报警") || !strings.Contains(got, "38.04280") {
		t.Errorf("queue row %q", got)
	}
	desk.WaitVisible("[data-testid=new-alarm-alert]")
	if got := desk.Text("[data-nav=queue] .c-badge"); got != "1" {
		t.Errorf("queue badge %q", got)
	}
	desk.Screenshot("3-queue")

	// The caller can get back to the alarm from the home screen.
	caller.Navigate(s.URL + "/#/")
	caller.WaitVisible("[data-testid=my-alarm][data-alarm='" + id + "']")
	caller.Screenshot("2b-home-card")
	caller.Click("[data-testid=my-alarm]")
	caller.WaitText("[data-testid=alarm-state]", "正在为您接通110")

	// The other centre sees nothing: not in its queue, 404 on the URL and in the API.
	otherTok := s.OfficerToken(t, "d"+neighbor)
	var list struct{ Alarms []struct{ ID string } }
	if st := s.Call(t, "GET", "/api/v1/alarms?state=queued", otherTok, nil, &list); st != 200 || len(list.Alarms) != 0 {
		t.Errorf("other centre's queue over the API: %d %+v", st, list.Alarms)
	}
	if st := s.Call(t, "GET", "/api/v1/alarms/"+id, otherTok, nil, nil); st != 404 {
		t.Errorf("other centre GET alarm: %d, want 404", st)
	}
	other.WaitVisible("[data-testid=queue-empty]")
	other.Navigate(s.URL + "/console/#/alarms/" + id)
	other.WaitVisible("[data-testid=alarm-not-found]")
	other.Screenshot("other-centre-404")

	// The dispatcher answers; the caller sees it.
	desk.Click(row + " [data-action=answer]")
	desk.WaitText("[data-testid=alarm-head]", "处理中")
	desk.WaitGone("[data-testid=new-alarm-alert]:not([hidden])")
	caller.WaitText("[data-testid=alarm-state]", "接警员已接警")
	desk.WaitText("[data-testid=chat-log]", "持刀打架")
	desk.WaitText("[data-testid=confirmed-position]", "38.04280, 114.51490")

	// Chat both ways: a quick phrase, a typed line; the caller answers.
	desk.Click("[data-phrase='1']")
	caller.WaitText("[data-testid=chat-log]", "请问您现在安全吗")
	caller.Type("[data-testid=chat-input]", "暂时安全，我躲在3号楼门卫室")
	caller.Click("[data-action=send]")
	desk.WaitText("[data-testid=chat-log]", "3号楼门卫室")
	desk.Type("[data-testid=chat-input]", "民警正在赶来，请不要离开门卫室")
	desk.Click("[data-action=send]")
	caller.WaitText("[data-testid=chat-log]", "请不要离开门卫室")
	// Read marks both ways: the open screens acknowledge what they show.
	allRead := func(tab *Tab, from string, n int) {
		tab.WaitFunc(from+"'s messages read", func() (string, bool) {
			js := fmt.Sprintf(`[document.querySelectorAll('[data-testid=chat-log] [data-from=%s]').length,
				document.querySelectorAll('[data-testid=chat-log] [data-from=%s] [data-receipt=read]').length].join('/')`, from, from)
			got := Eval[string](tab, js)
			return got, got == fmt.Sprintf("%d/%d", n, n)
		})
	}
	allRead(desk, "dispatcher", 2)
	allRead(caller, "caller", 2)
	caller.Screenshot("4-chat")

	// The caller moves: the dispatcher sees the new position beside the
	// confirmed one and accepts it with one action.
	caller.SetGeolocation(38.0461, 114.5197, 15)
	desk.WaitVisible("[data-testid=new-position]")
	if got := desk.Text("[data-testid=confirmed-position]"); !strings.Contains(got, "38.04280") {
		t.Errorf("the confirmed position moved by itself: %q", got)
	}
	desk.Screenshot("5-alarm-view-new-position")
	desk.Click("[data-action=accept-position]")
	desk.WaitText("[data-testid=confirmed-position]", "38.04610")
	desk.WaitGone("[data-testid=new-position]")

	// The incident record, a unit, and close.
	desk.SetValue("[data-testid=inc-category]", "治安")
	desk.SetValue("[data-testid=inc-priority]", "1")
	desk.Type("[data-testid=inc-address]", "长安区某小区3号楼门卫室")
	desk.Type("[data-testid=inc-notes]", "两人持刀斗殴，一人轻伤；报警人安全。")
	desk.Click("[data-action=save-incident]")
	desk.WaitText("[data-testid=inc-saved]", "d"+center)
	desk.Type("[data-testid=unit-name]", "长安巡警一组")
	desk.Click("[data-action=dispatch-unit]")
	desk.WaitText("[data-testid=units]", "长安巡警一组")
	desk.Click("[data-action=unit-arrived]")
	desk.WaitGone("[data-action=unit-arrived]")
	desk.Screenshot("6-alarm-view-incident")
	desk.SetValue("[data-testid=disposition-select]", "dispatched")
	desk.Click("[data-action=close-alarm]")
	desk.WaitText("[data-testid=alarm-head]", "已结束")
	caller.WaitText("[data-testid=alarm-state]", "本次报警已结束")
	caller.WaitText("[data-testid=position-indicator]", "已停止共享位置")
	caller.Screenshot("7-closed")
	desk.Screenshot("7-closed")

	// What the server holds.
	tok := s.OfficerToken(t, "d"+center)
	var a struct{ State, Disposition string }
	if st := s.Call(t, "GET", "/api/v1/alarms/"+id, tok, nil, &a); st != 200 || a.State != "closed" || a.Disposition != "dispatched" {
		t.Errorf("alarm after close: %d %+v", st, a)
	}
	var inc struct {
		Category, Address string
		Priority          int
		Units             []struct {
			Unit      string
			ArrivedAt *time.Time `json:"arrived_at"`
		}
	}
	if st := s.Call(t, "GET", "/api/v1/alarms/"+id+"/incident", tok, nil, &inc); st != 200 || inc.Category != "治安" || inc.Priority != 1 ||
		!strings.Contains(inc.Address, "门卫室") || len(inc.Units) != 1 || inc.Units[0].ArrivedAt == nil {
		t.Errorf("incident: %d %+v", st, inc)
	}
	var ps struct{ Positions []map[string]any }
	if s.Call(t, "GET", "/api/v1/alarms/"+id+"/positions", tok, nil, &ps); len(ps.Positions) < 2 {
		t.Errorf("trail has %d fixes", len(ps.Positions))
	}
	if st := s.Call(t, "GET", "/api/v1/alarms/"+id+"/incident/eido", tok, nil, nil); st != 200 {
		t.Errorf("EIDO export: %d", st)
	}

	// The other centre never had a row for it.
	if rows := Eval[[]string](other, `window.__rows || []`); len(rows) != 0 {
		t.Errorf("the other centre's queue showed %v", rows)
	}
	caller.NoConsoleErrors()
	// The media module's recordings panel asks once more after the close (403); reported to its owner.
	desk.NoConsoleErrors("403.*/recordings")
	other.NoConsoleErrors("404") // the alarm URL of another centre
}

// On a bad network the raise is retried with the same Idempotency-Key:
// here the first two answers are lost after the server stored the alarm.
// Meanwhile the screen offers 拨打110 and 短信12110 prominently; in the
// end there is one alarm, which the caller then cancels before an answer.
func TestTextAlarmRetryAndCancel(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	caller := b.NewTab("caller")
	caller.Phone()
	caller.SetGeolocation(38.0428, 114.5149, 10)
	caller.OpenCitizen(s, "13800138600")
	caller.Click(`[data-fn=text]`)
	caller.WaitText("[data-testid=position-indicator]", "已获取位置")
	Eval[bool](caller, `(() => { window.__keys = []; let n = 0; const real = window.fetch;
		window.fetch = async (url, opts) => {
			if (String(url).endsWith('/api/v1/alarms') && opts && opts.method === 'POST') {
				window.__keys.push(opts.headers['Idempotency-Key']);
				if (++n <= 2) { await real(url, opts); await new Promise((r) => setTimeout(r, 300)); throw new TypeError('Failed to fetch'); }
			}
			return real(url, opts);
		}; return true; })()`)
	caller.Click("[data-action=raise]")
	caller.WaitVisible(`[data-testid=unreachable] a[href="tel:110"]`)
	if caller.Count(`[data-testid=unreachable] a[href="sms:12110"]`) != 1 {
		t.Error("no SMS 12110 link while the raise cannot get through")
	}
	caller.Screenshot("retrying")
	caller.WaitText("[data-testid=alarm-state]", "正在为您接通110")
	keys := Eval[[]string](caller, `window.__keys`)
	if len(keys) != 3 || keys[0] == "" || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("idempotency keys of the attempts: %q", keys)
	}
	token := caller.LocalStorage(CitizenTokenKey)
	var mine struct{ Alarms []struct{ ID, State string } }
	if st := s.Call(t, "GET", "/api/v1/alarms", token, nil, &mine); st != 200 || len(mine.Alarms) != 1 {
		t.Fatalf("the caller has %d alarms after retries (status %d), want 1", len(mine.Alarms), st)
	}

	// Cancel before an answer, with a confirmation step.
	caller.Click("[data-action=cancel]")
	caller.Click("[data-action=confirm-cancel]")
	caller.WaitText("[data-testid=alarm-state]", "您已撤销本次报警")
	if caller.Count("[data-action=cancel]") != 0 || caller.Count("[data-testid=chat-input]:not([disabled])") != 0 {
		t.Error("a cancelled alarm still offers cancel or chat")
	}
	caller.Screenshot("cancelled")
	var a struct{ State string }
	if s.Call(t, "GET", "/api/v1/alarms/"+mine.Alarms[0].ID, token, nil, &a); a.State != "cancelled" {
		t.Errorf("state after cancel %q", a.State)
	}
	caller.NoConsoleErrors()
}

// The supervisor's answer-time screen lists the centre with its figures
// and its dispatchers; the call-back list starts empty.
func TestAlarmStatsScreen(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	cit := s.CitizenToken(t, "13800138700")
	disp := s.OfficerToken(t, "d130102")
	var a struct{ ID string }
	if st := s.Call(t, "POST", "/api/v1/alarms", cit, map[string]any{"kind": "text", "location": map[string]any{"lat": 38.0428, "lng": 114.5149, "accuracy_m": 10}}, &a); st != 201 {
		t.Fatalf("raise: %d", st)
	}
	if st := s.Call(t, "POST", "/api/v1/alarms/"+a.ID+"/answer", disp, nil, nil); st != 200 {
		t.Fatalf("answer: %d", st)
	}
	d := b.NewTab("dispatcher")
	d.Desktop()
	d.OpenConsole(s, "d130102")
	d.Navigate(s.URL + "/console/#/callbacks")
	d.WaitVisible("[data-testid=callbacks-empty]")

	sup := b.NewTab("supervisor")
	sup.Desktop()
	sup.OpenConsole(s, "admin")
	sup.Navigate(s.URL + "/console/#/alarm-stats")
	sup.WaitVisible("[data-testid=center-stats] tr[data-center='130102']")
	sup.Click("tr[data-center='130102'] [data-action=dispatchers]")
	sup.WaitVisible("[data-testid=dispatcher-stats] tr[data-dispatcher=d130102]")
	if sup.Count("[data-testid=alarm-stats] a[href^='#/stats']") == 0 {
		t.Error("no link to the day's dashboard")
	}
	sup.Screenshot("alarm-stats")
	d.NoConsoleErrors()
	sup.NoConsoleErrors()
}
