package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/alarm"
	"open110/app"
	"open110/geo"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// Tests of the admin, audit viewer, dashboard, profile and my-data
// endpoints through the full mux of a real node, on both backends.

func officerToken(t *testing.T, a *app.App, username string) string {
	t.Helper()
	r := call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"`+username+`","password":"open110-demo"}`)
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", username, r.status, r.raw)
	}
	return r.body["token"].(string)
}

// geoRouter adapts geo's router to the alarm service (what the alarm
// wiring does) so these tests can raise real alarms.
type geoRouter struct{ r *geo.Router }

func (g geoRouter) Route(lat, lng float64) (alarm.RouteResult, error) {
	rt, err := g.r.Route(lat, lng)
	if err != nil {
		return alarm.RouteResult{Center: geo.ProvinceCode, Outside: true}, nil
	}
	return alarm.RouteResult{Center: rt.Center.Code, Reason: rt.Reason}, nil
}
func (g geoRouter) OverflowChain(c string) []string { return g.r.OverflowChain(c) }

func alarmService(t *testing.T, a *app.App) *alarm.Service {
	t.Helper()
	s, err := alarm.New(alarm.Config{}, alarm.Deps{DB: a.DB, Bus: a.Bus, Router: geoRouter{a.Router}, Audit: a.Audit, Now: a.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eachNode(t *testing.T, fn func(t *testing.T, a *app.App)) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		url := ""
		if d.Dialect == db.Postgres {
			url = dbtest.URL(t, db.Postgres)
		}
		fn(t, start(t, app.Config{DB: url, Demo: true}))
	})
}

func TestAdminAuthorization(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		tok := map[string]string{
			"none":       "",
			"citizen":    signInCitizen(t, a, "13800000101"),
			"dispatcher": officerToken(t, a, "d130102"),
			"supervisor": officerToken(t, a, "s130100"),
			"admin":      officerToken(t, a, "admin"),
		}
		type ep struct{ method, path, body string }
		adminOnly := []ep{
			{"GET", "/api/v1/admin/centers", ""},
			{"PUT", "/api/v1/admin/centers/130102", `{"active":true}`},
			{"GET", "/api/v1/admin/officers", ""},
			{"POST", "/api/v1/admin/officers", `{"username":"x1","role":"dispatcher","center":"130102","password":"long-enough-1"}`},
			{"PATCH", "/api/v1/admin/officers/d130102", `{"name":"x"}`},
			{"POST", "/api/v1/admin/officers/d130102/password", `{"password":"long-enough-1"}`},
			{"POST", "/api/v1/admin/officers/d130102/totp", ""},
			{"POST", "/api/v1/admin/officers/d130102/totp/confirm", `{"code":"123456"}`},
			{"DELETE", "/api/v1/admin/officers/d130102/totp", ""},
			{"GET", "/api/v1/admin/settings", ""},
			{"PUT", "/api/v1/admin/settings", `{"base_version":0,"settings":{}}`},
			{"GET", "/api/v1/admin/settings/history", ""},
			{"POST", "/api/v1/admin/retention/run", ""},
		}
		watchers := []ep{
			{"GET", "/api/v1/audit", ""},
			{"GET", "/api/v1/audit/export?format=json", ""},
			{"GET", "/api/v1/audit/verify", ""},
			{"GET", "/api/v1/dashboard", ""},
			{"GET", "/api/v1/dashboard/per_hour.csv", ""},
		}
		citizenOnly := []ep{
			{"GET", "/api/v1/profile", ""},
			{"PUT", "/api/v1/profile", `{}`},
			{"DELETE", "/api/v1/profile", ""},
			{"GET", "/api/v1/mydata", ""},
			{"GET", "/api/v1/mydata/access", ""},
			{"GET", "/api/v1/mydata/export", ""},
			{"GET", "/api/v1/mydata/deletion", ""},
			{"POST", "/api/v1/mydata/deletion", `{"confirm":"no"}`},
		}
		check := func(e ep, who string, want int) {
			t.Helper()
			r := call(t, e.method, a.URL+e.path, tok[who], e.body)
			if r.status != want {
				t.Errorf("%s %s as %s: %d, want %d (%s)", e.method, e.path, who, r.status, want, r.raw)
			}
		}
		for _, e := range adminOnly {
			check(e, "none", 401)
			for _, who := range []string{"citizen", "dispatcher", "supervisor"} {
				check(e, who, 403)
			}
		}
		for _, e := range watchers {
			check(e, "none", 401)
			check(e, "citizen", 403)
			check(e, "dispatcher", 403)
		}
		for _, e := range citizenOnly {
			check(e, "none", 401)
			check(e, "dispatcher", 403)
			check(e, "admin", 403)
		}
		// The dispatcher-only profile view.
		for who, want := range map[string]int{"none": 401, "citizen": 403, "supervisor": 403, "admin": 403} {
			check(ep{"GET", "/api/v1/profile/alarms/a_unknown", ""}, who, want)
		}
		// A city administrator's reach: a province-wide setting and another city's officer are refused.
		r := call(t, "POST", a.URL+"/api/v1/admin/officers", tok["admin"], `{"username":"a130100","role":"admin","center":"130100","password":"long-enough-1"}`)
		if r.status != 201 {
			t.Fatalf("create city admin: %d %s", r.status, r.raw)
		}
		city := officerToken2(t, a, "a130100", "long-enough-1")
		if r := call(t, "PUT", a.URL+"/api/v1/admin/settings", city, `{"base_version":0,"settings":{}}`); r.status != 403 {
			t.Errorf("city admin saves settings: %d", r.status)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/d130200", city, `{"name":"x"}`); r.status != 404 {
			t.Errorf("city admin edits another city's officer: %d %s", r.status, r.raw)
		}
		if r := call(t, "PUT", a.URL+"/api/v1/admin/centers/130203", city, `{"active":false}`); r.status != 403 || errCode(r) != "outside_your_area" {
			t.Errorf("city admin changes another city's county: %d %s", r.status, r.raw)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/d130102", city, `{"role":"admin"}`); r.status != 403 {
			t.Errorf("city admin appoints an admin: %d %s", r.status, r.raw)
		}
	})
}

func officerToken2(t *testing.T, a *app.App, username, password string) string {
	t.Helper()
	r := call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"`+username+`","password":"`+password+`"}`)
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", username, r.status, r.raw)
	}
	return r.body["token"].(string)
}

// TestAdminRoutingAndOfficers: a county stops and starts running its own
// centre and routing follows at once; an officer is created, enrolled in
// TOTP, signs in with it, is moved, promoted, reset and disabled; every
// step is in the audit log and the chain verifies.
func TestAdminRoutingAndOfficers(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		adm := officerToken(t, a, "admin")
		route := func() string {
			r := call(t, "GET", a.URL+"/api/v1/route?lat=38.0428&lng=114.5149", "", "")
			return r.body["center"].(map[string]any)["code"].(string)
		}
		county := route()
		if county == "130100" || !strings.HasPrefix(county, "1301") {
			t.Fatalf("demo: point routes to %s, want a Shijiazhuang county", county)
		}
		r := call(t, "PUT", a.URL+"/api/v1/admin/centers/"+county, adm, `{"active":false,"reason":"merged into the city centre"}`)
		if r.status != 200 || r.body["active"] != false {
			t.Fatalf("deactivate: %d %s", r.status, r.raw)
		}
		if got := route(); got != "130100" {
			t.Fatalf("after deactivation routes to %s, want the city 130100", got)
		}
		if r := call(t, "PUT", a.URL+"/api/v1/admin/centers/130100", adm, `{"active":false}`); r.status != 400 || errCode(r) != "center_not_county" {
			t.Fatalf("deactivate a city: %d %s", r.status, r.raw)
		}
		if r := call(t, "PUT", a.URL+"/api/v1/admin/centers/"+county, adm, `{"active":true}`); r.status != 200 {
			t.Fatalf("activate: %d %s", r.status, r.raw)
		}
		if got := route(); got != county {
			t.Fatalf("after activation routes to %s, want %s", got, county)
		}

		// Officers.
		r = call(t, "POST", a.URL+"/api/v1/admin/officers", adm, `{"username":"new.disp","name":"新接警员","role":"dispatcher","center":"`+county+`","password":"short"}`)
		if r.status != 400 || errCode(r) != "weak_password" {
			t.Fatalf("weak password: %d %s", r.status, r.raw)
		}
		r = call(t, "POST", a.URL+"/api/v1/admin/officers", adm, `{"username":"new.disp","name":"新接警员","role":"dispatcher","center":"`+county+`","password":"correct-horse-1"}`)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		if r := call(t, "POST", a.URL+"/api/v1/admin/officers", adm, `{"username":"new.disp","role":"dispatcher","center":"`+county+`","password":"correct-horse-1"}`); r.status != 409 {
			t.Fatalf("duplicate: %d", r.status)
		}
		r = call(t, "POST", a.URL+"/api/v1/admin/officers/new.disp/totp", adm, "")
		if r.status != 200 {
			t.Fatalf("enrol: %d %s", r.status, r.raw)
		}
		secret := r.body["secret"].(string)
		prev, _ := account.TOTPCode(secret, time.Now().Add(-30*time.Second))
		if r := call(t, "POST", a.URL+"/api/v1/admin/officers/new.disp/totp/confirm", adm, `{"code":"`+prev+`"}`); r.status != 204 {
			t.Fatalf("confirm: %d %s", r.status, r.raw)
		}
		if r := call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"new.disp","password":"correct-horse-1"}`); r.status != 401 || errCode(r) != "totp_required" {
			t.Fatalf("login without code: %d %s", r.status, r.raw)
		}
		now, _ := account.TOTPCode(secret, time.Now())
		r = call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"new.disp","password":"correct-horse-1","totp":"`+now+`"}`)
		if r.status != 200 {
			t.Fatalf("login with code: %d %s", r.status, r.raw)
		}
		nd := r.body["token"].(string)
		r = call(t, "PATCH", a.URL+"/api/v1/admin/officers/new.disp", adm, `{"role":"supervisor","center":"130100","reason":"promoted"}`)
		if r.status != 200 || r.body["role"] != "supervisor" || r.body["center"] != "130100" {
			t.Fatalf("promote: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", a.URL+"/api/v1/me", nd, ""); r.body["role"] != "supervisor" {
			t.Fatalf("role applies at once: %s", r.raw)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/new.disp", adm, `{"role":"chief"}`); r.status != 400 || errCode(r) != "invalid_role" {
			t.Fatalf("bad role: %d %s", r.status, r.raw)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/admin", adm, `{"disabled":true}`); r.status != 409 {
			t.Fatalf("disable self: %d", r.status)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/new.disp", adm, `{"disabled":true}`); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", a.URL+"/api/v1/me", nd, ""); r.status != 401 {
			t.Fatalf("disabled officer's session: %d", r.status)
		}
		if r := call(t, "DELETE", a.URL+"/api/v1/admin/officers/new.disp/totp", adm, ""); r.status != 204 {
			t.Fatalf("reset totp: %d", r.status)
		}
		if r := call(t, "POST", a.URL+"/api/v1/admin/officers/new.disp/password", adm, `{"password":"another-pass-2"}`); r.status != 204 {
			t.Fatalf("reset password: %d", r.status)
		}
		if r := call(t, "PATCH", a.URL+"/api/v1/admin/officers/new.disp", adm, `{"disabled":false}`); r.status != 200 {
			t.Fatalf("enable: %d", r.status)
		}
		if r := call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"new.disp","password":"another-pass-2"}`); r.status != 200 {
			t.Fatalf("login after reset: %d %s", r.status, r.raw)
		}

		// Audit viewer: every step is there, filters work, the chain verifies.
		r = call(t, "GET", a.URL+"/api/v1/audit?object=officer:new.disp&action=admin.*", adm, "")
		var actions []string
		for _, e := range r.body["entries"].([]any) {
			actions = append(actions, e.(map[string]any)["action"].(string))
		}
		want := "admin.officer.create admin.officer.totp_enrol admin.officer.totp_confirm admin.officer.update admin.officer.update admin.officer.totp_reset admin.officer.password_reset admin.officer.update"
		if strings.Join(actions, " ") != want {
			t.Fatalf("audit of the officer:\n got %v\nwant %s", actions, want)
		}
		r = call(t, "GET", a.URL+"/api/v1/audit?object=center:"+county, adm, "")
		if n := len(r.body["entries"].([]any)); n != 2 {
			t.Fatalf("centre changes audited: %d", n)
		}
		if r := call(t, "GET", a.URL+"/api/v1/audit?from=yesterday", adm, ""); r.status != 400 || errCode(r) != "invalid_filter" {
			t.Fatalf("bad filter: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/audit/export?format=csv&action=admin.*", officerToken(t, a, "s130100"), "")
		if r.status != 200 || !strings.Contains(r.raw, "admin.officer.create") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv export: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/audit/verify", adm, "")
		res := r.body["result"].(map[string]any)
		if r.status != 200 || res["ok"] != true {
			t.Fatalf("verify: %d %s", r.status, r.raw)
		}
		cli, err := app.VerifyAudit(context.Background(), a.Cfg)
		if err != nil || float64(cli.Entries) < res["entries"].(float64) {
			t.Fatalf("cli verify %+v %v vs %v", cli, err, res)
		}
	})
}

func TestSettingsVersionsAndValidation(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		adm := officerToken(t, a, "admin")
		r := call(t, "GET", a.URL+"/api/v1/admin/settings", adm, "")
		cur := r.body["current"].(map[string]any)
		if cur["version"].(float64) != 0 || cur["settings"].(map[string]any)["overflow_after_s"].(float64) != 20 {
			t.Fatalf("defaults: %s", r.raw)
		}
		bad := `{"base_version":0,"settings":{"overflow_after_s":1,"abandon_after_s":60,"trip_retention_days":30,"closed_retention_days":365,"evidence_retention_days":3650,"session_retention_days":7,"rate_limits":{"otp_per_phone_day":10,"otp_per_ip_hour":30,"login_per_ip_minute":30,"alarms_per_phone_hour":3}}}`
		r = call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, bad)
		if r.status != 400 || errCode(r) != "invalid_setting" || r.body["error"].(map[string]any)["field"] != "overflow_after_s" {
			t.Fatalf("invalid: %d %s", r.status, r.raw)
		}
		good := strings.Replace(bad, `"overflow_after_s":1`, `"overflow_after_s":30,"quick_phrases":["请打字回复"],"sms":{"gateway_url":"https://sms.example/send","secret":"s3cret"}`, 1)
		r = call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, good)
		if r.status != 200 {
			t.Fatalf("save: %d %s", r.status, r.raw)
		}
		if strings.Contains(r.raw, "s3cret") {
			t.Fatalf("secret shown: %s", r.raw)
		}
		if r := call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, good); r.status != 409 || errCode(r) != "settings_conflict" {
			t.Fatalf("stale base: %d %s", r.status, r.raw)
		}
		// Saving the masked secret back keeps it; the version moves on.
		again := strings.Replace(strings.Replace(good, `"base_version":0`, `"base_version":1`, 1), `"s3cret"`, `"******"`, 1)
		if r := call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, again); r.status != 200 {
			t.Fatalf("save v2: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/admin/settings/history", adm, "")
		if vs := r.body["versions"].([]any); len(vs) != 2 {
			t.Fatalf("history: %s", r.raw)
		}
		var secret string
		if err := a.DB.QueryRow(context.Background(), "SELECT data FROM settings_versions WHERE version = 2").Scan(&secret); err != nil || !strings.Contains(secret, "s3cret") {
			t.Fatalf("masked secret did not keep the stored one: %v %s", err, secret)
		}
		r = call(t, "GET", a.URL+"/api/v1/audit?action=admin.settings.save", adm, "")
		es := r.body["entries"].([]any)
		if len(es) != 2 || !strings.Contains(r.raw, "overflow_after_s") || strings.Contains(r.raw, "s3cret") {
			t.Fatalf("settings audit: %s", r.raw)
		}
		// Retention run: audited per feature.
		r = call(t, "POST", a.URL+"/api/v1/admin/retention/run", adm, "")
		if r.status != 200 {
			t.Fatalf("retention: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", a.URL+"/api/v1/audit?action=retention.purge", adm, ""); len(r.body["entries"].([]any)) == 0 {
			t.Fatalf("retention not audited: %s", r.raw)
		}
	})
}

// TestProfileDashboardAndMyData: a deaf citizen's profile is shown only to
// the answering dispatcher, each display audited and listed in the
// citizen's access log; the supervisor's dashboard counts the day; the
// citizen exports and deletes, and the alarm is kept with its reason.
func TestProfileDashboardAndMyData(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		ctx := context.Background()
		cit := signInCitizen(t, a, "13800000202")
		me := call(t, "GET", a.URL+"/api/v1/me", cit, "")
		citizen := account.Principal{Kind: account.Citizen, ID: me.body["id"].(string), Phone: me.body["phone"].(string)}

		if r := call(t, "PUT", a.URL+"/api/v1/profile", cit, `{"id_number":"110101199003070000"}`); r.status != 400 || errCode(r) != "invalid_profile" {
			t.Fatalf("bad id number: %d %s", r.status, r.raw)
		}
		r := call(t, "PUT", a.URL+"/api/v1/profile", cit, `{"real_name":"张三","id_number":"11010519491231002X","blood_type":"o+","disabilities":["deaf"],"languages":["zh","sign"],"allergies":["青霉素"],"contacts":[{"name":"李四","relation":"配偶","phone":"13900000001"}]}`)
		if r.status != 200 {
			t.Fatalf("save profile: %d %s", r.status, r.raw)
		}
		var sealed string
		if err := a.DB.QueryRow(ctx, "SELECT sealed FROM citizen_profiles WHERE citizen_id = $1", citizen.ID).Scan(&sealed); err != nil || strings.Contains(sealed, "deaf") {
			t.Fatalf("profile stored in clear or missing: %v", err)
		}

		al := alarmService(t, a)
		raised, _, err := al.Raise(ctx, citizen, alarm.RaiseRequest{Kind: alarm.Text, Location: &alarm.Position{Lat: 38.0428, Lng: 114.5149, AccuracyM: 10}})
		if err != nil {
			t.Fatal(err)
		}
		center := raised.Center.Code
		disp := "d" + center
		dtok := officerToken(t, a, disp)
		other := officerToken(t, a, "d130200")
		path := a.URL + "/api/v1/profile/alarms/" + raised.ID
		if r := call(t, "GET", path, dtok, ""); r.status != 403 || errCode(r) != "not_answering" {
			t.Fatalf("before answering: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", path, other, ""); r.status != 404 {
			t.Fatalf("another centre's dispatcher: %d %s", r.status, r.raw)
		}
		if _, err := al.Answer(ctx, account.Principal{Kind: account.Officer, Username: disp, Role: account.Dispatcher, Center: center}, raised.ID); err != nil {
			t.Fatal(err)
		}
		r = call(t, "GET", path, dtok, "")
		if r.status != 200 || r.body["text_first"] != true || !strings.Contains(r.raw, "张三") {
			t.Fatalf("answering dispatcher: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/audit?action=profile.view&subject=citizen:"+citizen.ID, officerToken(t, a, "admin"), "")
		if es := r.body["entries"].([]any); len(es) != 1 || es[0].(map[string]any)["actor"] != "officer:"+disp {
			t.Fatalf("profile view audit: %s", r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/mydata/access", cit, "")
		if !strings.Contains(r.raw, "profile.view") || !strings.Contains(r.raw, "officer:"+disp) {
			t.Fatalf("access log: %s", r.raw)
		}

		// Dashboard: the supervisor of the city sees today's alarm.
		sup := officerToken(t, a, "s130100")
		r = call(t, "GET", a.URL+"/api/v1/dashboard?center=130100", sup, "")
		if r.status != 200 || r.body["raised"].(float64) != 1 || r.body["answered"].(float64) != 1 || len(r.body["per_hour"].([]any)) != 24 {
			t.Fatalf("dashboard: %d %s", r.status, r.raw)
		}
		if pl := r.body["places"].([]any); len(pl) != 1 || pl[0].(map[string]any)["code"] != center {
			t.Fatalf("places: %v", pl)
		}
		if r := call(t, "GET", a.URL+"/api/v1/dashboard?center=130200", sup, ""); r.status != 403 {
			t.Fatalf("another city's dashboard: %d", r.status)
		}
		r = call(t, "GET", a.URL+"/api/v1/dashboard/dispatchers.csv?center=130100", sup, "")
		if r.status != 200 || !strings.Contains(r.raw, disp+",1,") {
			t.Fatalf("dispatchers csv: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", a.URL+"/api/v1/dashboard/nope.csv", sup, ""); r.status != 404 {
			t.Fatalf("unknown chart: %d", r.status)
		}

		// My data: overview, export, deletion preview, deletion.
		r = call(t, "GET", a.URL+"/api/v1/mydata", cit, "")
		if r.status != 200 || !strings.Contains(r.raw, raised.ID) || !strings.Contains(r.raw, "张三") {
			t.Fatalf("overview: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/mydata/export", cit, "")
		if r.status != 200 || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") || r.body["format"] != "open110.mydata.v1" {
			t.Fatalf("export: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/mydata/deletion", cit, "")
		if kept := r.body["kept"].([]any); len(kept) != 1 || kept[0].(map[string]any)["reason"] != "open_case" {
			t.Fatalf("preview: %s", r.raw)
		}
		if r := call(t, "POST", a.URL+"/api/v1/mydata/deletion", cit, `{"confirm":"yes"}`); r.status != 400 || errCode(r) != "confirmation_required" {
			t.Fatalf("unconfirmed: %d", r.status)
		}
		r = call(t, "POST", a.URL+"/api/v1/mydata/deletion", cit, `{"confirm":"DELETE"}`)
		if r.status != 200 || r.body["deleted"] != true || !strings.Contains(r.raw, "open_case") {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		if r := call(t, "GET", a.URL+"/api/v1/me", cit, ""); r.status != 401 {
			t.Fatalf("session after deletion: %d", r.status)
		}
		var n int
		if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM citizen_profiles WHERE citizen_id = $1", citizen.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("profile after deletion: %d %v", n, err)
		}
		// The number may register again, as a new citizen.
		again := signInCitizen(t, a, "13800000202")
		if r := call(t, "GET", a.URL+"/api/v1/me", again, ""); r.body["id"] == citizen.ID {
			t.Fatalf("deleted account came back")
		}
	})
}

// TestChangesApplyAcrossNodes: two nodes share PostgreSQL and an external
// NATS; a routing change and a settings change made on one apply on the
// other through the bus wake-up (well before the one-minute re-read).
func TestChangesApplyAcrossNodes(t *testing.T) {
	natsURL := os.Getenv("OPEN110_TEST_NATS")
	if os.Getenv("OPEN110_TEST_POSTGRES") == "" || natsURL == "" {
		t.Skip("needs OPEN110_TEST_POSTGRES and OPEN110_TEST_NATS")
	}
	url := dbtest.URL(t, db.Postgres)
	secret := "00112233445566778899aabbccddeeff"
	a := start(t, app.Config{DB: url, NATS: natsURL, Secret: secret, Demo: true})
	b := start(t, app.Config{DB: url, NATS: natsURL, Secret: secret})
	adm := officerToken(t, a, "admin")
	routeOn := func(n *app.App) string {
		r := call(t, "GET", n.URL+"/api/v1/route?lat=38.0428&lng=114.5149", "", "")
		return r.body["center"].(map[string]any)["code"].(string)
	}
	county := routeOn(b)
	if r := call(t, "PUT", a.URL+"/api/v1/admin/centers/"+county, adm, `{"active":false}`); r.status != 200 {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	waitFor(t, "node b to route to the city", func() bool { return routeOn(b) == "130100" })

	r := call(t, "GET", a.URL+"/api/v1/admin/settings", adm, "")
	body := `{"base_version":0,"settings":{"overflow_after_s":45,"abandon_after_s":60,"trip_retention_days":30,"closed_retention_days":365,"evidence_retention_days":3650,"session_retention_days":7,"rate_limits":{"otp_per_phone_day":10,"otp_per_ip_hour":30,"login_per_ip_minute":30,"alarms_per_phone_hour":3}}}`
	if r = call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, body); r.status != 200 {
		t.Fatalf("save: %d %s", r.status, r.raw)
	}
	waitFor(t, "node b to apply the settings", func() bool { return b.Settings().Get().OverflowAfterS == 45 })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
