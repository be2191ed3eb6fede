package e2e

import (
	"strings"
	"testing"
	"time"

	"open110/account"
)

// Browser tests of issue 10: administration, the audit viewer, the
// supervisors' dashboard, the caller's emergency profile and the
// citizen's own data.

// A point in Shijiazhuang's Chang'an district (长安区, 130102).
const (
	adminLat, adminLng = 38.0428, 114.5149
	adminCounty        = "130102"
)

type alarmOut struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Center struct {
		Code string `json:"code"`
	} `json:"center"`
}

func raiseAlarm(t *testing.T, s *Server, token string, lat, lng float64) alarmOut {
	t.Helper()
	var a alarmOut
	body := map[string]any{"kind": "text", "location": map[string]any{"lat": lat, "lng": lng, "accuracy_m": 15}}
	if st := s.Call(t, "POST", "/api/v1/alarms", token, body, &a); st != 201 {
		t.Fatalf("raise alarm: status %d", st)
	}
	return a
}

// acceptConfirms makes window.confirm answer yes (the console asks before
// changing routing or disabling an account).
func acceptConfirms(tab *Tab) {
	tab.T.Helper()
	Eval[bool](tab, `window.confirm = () => true; true`)
}

// An administrator makes a county run its own 110 centre in the console;
// the next alarm there routes to it at once.
func TestAdminCountyRunsOwnCentre(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	adm := s.OfficerToken(t, "admin")
	// Start from a county that does not run its own centre.
	if st := s.Call(t, "PUT", "/api/v1/admin/centers/"+adminCounty, adm, map[string]any{"active": false}, nil); st != 200 {
		t.Fatalf("setup: %d", st)
	}
	citizen := s.CitizenToken(t, "13800138101")
	if a := raiseAlarm(t, s, citizen, adminLat, adminLng); a.Center.Code != "130100" {
		t.Fatalf("before: alarm routed to %s, want the city centre 130100", a.Center.Code)
	}

	tab := b.NewTab("admin")
	tab.Desktop()
	tab.OpenConsole(s, "admin")
	tab.Navigate(s.URL + "/console/#/admin?tab=centers")
	tab.WaitVisible(`input[data-center="` + adminCounty + `"]`)
	if Eval[bool](tab, `document.querySelector('input[data-center="`+adminCounty+`"]').checked`) {
		t.Fatal("county shown as running its own centre")
	}
	acceptConfirms(tab)
	tab.Click(`input[data-center="` + adminCounty + `"]`)
	tab.WaitText(".form-info", "开始独立接警")
	tab.Screenshot("admin-centres")

	a := raiseAlarm(t, s, s.CitizenToken(t, "13800138102"), adminLat, adminLng)
	if a.Center.Code != adminCounty {
		t.Fatalf("after: alarm routed to %s, want %s", a.Center.Code, adminCounty)
	}
	var es struct{ Entries []map[string]any }
	s.Call(t, "GET", "/api/v1/audit?action=admin.center.set_active&object=center:"+adminCounty, adm, nil, &es)
	if len(es.Entries) != 2 || es.Entries[1]["actor"] != "officer:admin" {
		t.Fatalf("audit of the change: %v", es.Entries)
	}
	tab.NoConsoleErrors()
}

// An administrator creates a dispatcher and enrols an authenticator; the
// dispatcher then signs in with password and TOTP code.
func TestAdminCreatesDispatcherWithTOTP(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("admin")
	tab.Desktop()
	tab.OpenConsole(s, "admin")
	tab.Navigate(s.URL + "/console/#/admin?tab=officers")
	tab.WaitVisible(`[data-testid=officer-create] input[name=username]`)
	tab.Type(`[data-testid=officer-create] input[name=username]`, "e2e.disp")
	tab.Type(`[data-testid=officer-create] input[name=name]`, "测试接警员")
	tab.SetValue(`[data-testid=officer-create] select[name=role]`, "dispatcher")
	tab.SetValue(`[data-testid=officer-create] select[name=center]`, adminCounty)
	tab.Type(`[data-testid=officer-create] input[name=password]`, "e2e-password-1")
	tab.Click(`[data-testid=officer-create] button[type=submit]`)
	tab.WaitVisible(`tr[data-officer="e2e.disp"]`)
	tab.Click(`tr[data-officer="e2e.disp"] td:last-child button:nth-child(3)`) // 绑定动态码
	tab.WaitVisible(`[data-testid=totp-secret]`)
	secret := strings.TrimSpace(tab.Text(`[data-testid=totp-secret]`))
	tab.Screenshot("admin-totp")
	// The officer's app shows a code; confirm with the previous step's so
	// the current one is still unused for the sign-in below.
	code, err := account.TOTPCode(secret, time.Now().Add(-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tab.Type(`.adm-modal input[name=code]`, code)
	tab.Click(`.adm-modal [data-action=submit]`)
	tab.WaitText(`tr[data-officer="e2e.disp"]`, "已绑定")
	tab.Screenshot("admin-officers")

	d := b.NewTab("new dispatcher")
	d.Desktop()
	d.Navigate(s.URL + "/console/")
	d.WaitVisible("input[name=username]")
	d.Type("input[name=username]", "e2e.disp")
	d.Type("input[name=password]", "e2e-password-1")
	d.Click("button[type=submit]")
	d.WaitVisible("input[name=totp]")
	now, _ := account.TOTPCode(secret, time.Now())
	d.Type("input[name=totp]", now)
	d.Click("button[type=submit]")
	d.WaitText("[data-testid=officer]", "e2e.disp")
	if got := d.Text("[data-testid=center-name]"); !strings.Contains(got, "长安区") {
		t.Errorf("new dispatcher's centre %q", got)
	}
	d.Screenshot("new-dispatcher")
	tab.NoConsoleErrors()
	d.NoConsoleErrors("/api/v1/auth/login") // the first try answers 401 totp_required
}

// A supervisor's dashboard shows the day's alarms as charts.
func TestSupervisorDashboard(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	// Today's traffic in Shijiazhuang: answered alarms in three counties,
	// one still waiting, one cancelled.
	points := [][2]float64{{38.0428, 114.5149}, {38.0450, 114.5200}, {38.0620, 114.4800}, {37.9900, 114.5300}, {38.0500, 114.6200}, {38.0300, 114.5000}}
	for i, p := range points {
		cit := s.CitizenToken(t, "1380013820"+string(rune('0'+i)))
		a := raiseAlarm(t, s, cit, p[0], p[1])
		switch i {
		case 4: // left waiting
		case 5:
			s.Call(t, "POST", "/api/v1/alarms/"+a.ID+"/cancel", cit, map[string]any{"reason": "误报"}, nil)
		default:
			d := s.OfficerToken(t, "d"+a.Center.Code)
			if st := s.Call(t, "POST", "/api/v1/alarms/"+a.ID+"/answer", d, nil, nil); st != 200 {
				t.Fatalf("answer %s at %s: %d", a.ID, a.Center.Code, st)
			}
			if i%2 == 0 {
				s.Call(t, "POST", "/api/v1/alarms/"+a.ID+"/end", d, map[string]any{"disposition": "resolved"}, nil)
			}
		}
	}
	tab := b.NewTab("supervisor")
	tab.Desktop()
	tab.OpenConsole(s, "s130100")
	tab.Click(`[data-nav=stats]`)
	tab.WaitVisible(`[data-chart=answer_times] svg rect`)
	tab.WaitVisible(`[data-chart=places] svg path`)
	tab.WaitVisible(`[data-chart=places] circle.dash-point`)
	kpis := tab.Text(".dash-kpis")
	if !strings.Contains(kpis, "6") || !strings.Contains(kpis, "4") {
		t.Errorf("KPIs %q: want 6 raised, 4 answered", kpis)
	}
	for _, chart := range []string{"answer_times", "per_hour", "queue", "abandoned", "dispatchers", "places"} {
		if tab.Count(`[data-chart=`+chart+`] svg`) == 0 {
			t.Errorf("chart %s has no SVG", chart)
		}
		if tab.Count(`[data-chart=`+chart+`] [data-csv]`) != 1 {
			t.Errorf("chart %s has no CSV button", chart)
		}
	}
	if n := tab.Count(`[data-chart=places] circle.dash-point`); n != len(points) {
		t.Errorf("%d alarm dots on the map, want %d", n, len(points))
	}
	if !strings.Contains(tab.Text(`[data-chart=answer_times]`), "15秒线") {
		t.Error("no 15 s line on the answer-time chart")
	}
	tab.Screenshot("dashboard")
	Eval[bool](tab, `document.querySelector('[data-chart=queue]').scrollIntoView(); true`)
	tab.Screenshot("dashboard-2")
	Eval[bool](tab, `document.querySelector('[data-chart=places]').scrollIntoView(); true`)
	tab.Screenshot("dashboard-3")
	tab.NoConsoleErrors()
}

// A deaf citizen fills in the profile, raises an alarm; the answering
// dispatcher sees the profile with "start in text"; the audit log shows
// the view; the citizen sees it among who accessed their data.
func TestDeafCallerProfile(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	phone := "13800138300"
	c := b.NewTab("citizen")
	c.Phone()
	c.OpenCitizen(s, phone)
	c.Click(`[data-action=mydata]`)
	c.WaitVisible(`[data-action=edit-profile]`)
	c.Click(`[data-action=edit-profile]`)
	c.WaitVisible(`input[data-disability=deaf]`)
	c.Click(`input[data-disability=deaf]`)
	c.Type(`input[name=languages]`, "手语")
	c.Type(`input[name=real_name]`, "王五")
	c.Click(`[data-action=save-profile]`)
	c.WaitVisible(`[data-testid=md-profile] [data-action=edit-profile]`)
	c.WaitText(`[data-testid=md-profile]`, "已登记")
	c.Screenshot("profile-saved")

	citizen := Eval[string](c, `localStorage.getItem('`+CitizenTokenKey+`')`)
	a := raiseAlarm(t, s, citizen, adminLat, adminLng)
	disp := "d" + a.Center.Code
	d := b.NewTab("dispatcher")
	d.Desktop()
	d.OpenConsole(s, disp)
	dtok := Eval[string](d, `localStorage.getItem('`+ConsoleTokenKey+`')`)
	d.Navigate(s.URL + "/console/#/alarms/" + a.ID)
	// Not shown before answering.
	time.Sleep(300 * time.Millisecond)
	if d.Count(`[data-testid=caller-profile]`) != 0 {
		t.Fatal("profile shown before the dispatcher answered")
	}
	if st := s.Call(t, "POST", "/api/v1/alarms/"+a.ID+"/answer", dtok, nil, nil); st != 200 {
		t.Fatalf("answer: %d", st)
	}
	d.WaitVisible(`[data-testid=caller-profile]`)
	d.WaitText(`[data-testid=text-first]`, "文字")
	if got := d.Text(`[data-testid=caller-profile]`); !strings.Contains(got, "听障") || !strings.Contains(got, "王五") || !strings.Contains(got, "手语") {
		t.Errorf("profile card %q", got)
	}
	d.Screenshot("dispatcher-profile")

	// The audit shows the view, in the viewer.
	sup := b.NewTab("supervisor")
	sup.Desktop()
	sup.OpenConsole(s, "admin")
	sup.Navigate(s.URL + "/console/#/audit?action=profile.view")
	sup.WaitText(`[data-testid=audit] tbody`, "officer:"+disp)
	if got := sup.Text(`[data-testid=audit] tbody`); !strings.Contains(got, "alarm:"+a.ID) {
		t.Errorf("audit row %q", got)
	}
	acceptConfirms(sup)
	sup.Click(`[data-action=verify]`)
	sup.WaitText(`[data-testid=verify-result]`, "哈希链完整")
	sup.Screenshot("audit-profile-view")

	// The citizen sees who accessed the data.
	c.Navigate(s.URL + "/#/")
	c.Click(`[data-action=mydata]`)
	c.WaitText(`[data-testid=md-access]`, "接警员查看了您的应急信息")
	c.Screenshot("mydata-access")
	d.NoConsoleErrors("403.*/api/v1/profile/alarms/") // polled before the answer: not_answering
	sup.NoConsoleErrors()
	c.NoConsoleErrors()
}

// A citizen exports their data and deletes the account; the open alarm is
// kept with its reason shown.
func TestCitizenExportsAndDeletes(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	phone := "13800138400"
	c := b.NewTab("citizen")
	c.Phone()
	c.OpenCitizen(s, phone)
	token := Eval[string](c, `localStorage.getItem('`+CitizenTokenKey+`')`)
	a := raiseAlarm(t, s, token, adminLat, adminLng)
	var me struct{ ID string }
	s.Call(t, "GET", "/api/v1/me", token, nil, &me)

	c.Navigate(s.URL + "/#/mydata")
	c.WaitVisible(`[data-alarm="` + a.ID + `"]`)
	c.Click(`[data-action=export]`)
	adm := s.OfficerToken(t, "admin")
	c.WaitFunc("the export to be audited", func() (string, bool) {
		var es struct{ Entries []map[string]any }
		s.Call(t, "GET", "/api/v1/audit?action=mydata.export&subject=citizen:"+me.ID, adm, nil, &es)
		return "", len(es.Entries) == 1
	})
	c.Screenshot("mydata")

	c.Click(`[data-action=delete]`)
	c.WaitVisible(`[data-testid=kept]`)
	if got := c.Text(`[data-testid=kept]`); !strings.Contains(got, "案件尚未办结") {
		t.Errorf("deletion preview %q", got)
	}
	c.Type(`input[name=confirm]`, "DELETE")
	c.Click(`[data-action=confirm-delete]`)
	c.WaitVisible(`[data-testid=deleted]`)
	if got := c.Text(`[data-testid=deleted]`); !strings.Contains(got, "案件尚未办结") {
		t.Errorf("after deletion %q", got)
	}
	c.Screenshot("deleted")
	if st := s.Call(t, "GET", "/api/v1/me", token, nil, nil); st != 401 {
		t.Errorf("session after deletion: %d", st)
	}
	var es struct{ Entries []map[string]any }
	s.Call(t, "GET", "/api/v1/audit?action=mydata.delete", adm, nil, &es)
	if len(es.Entries) != 1 {
		t.Errorf("deletion audited %d times", len(es.Entries))
	}
	c.NoConsoleErrors()
}
