package e2e

import (
	"context"
	"strings"
	"testing"

	"open110/account"
)

// TestTipWithInAppPhoto: a citizen shoots a photo in the app (Chromium's
// fake camera) and submits a tip; the city supervisor assigns it; the
// assigned handler sees it without the tipster, looks at the photo,
// reveals with a reason; the supervisor's access log shows who, when and
// from which IPs; a second handler of the same centre cannot reveal.
func TestTipWithInAppPhoto(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	const phone, center, city = "13912340000", "130102", "130100"
	if _, err := s.App.Accounts.CreateOfficer(context.Background(), s.App.DB, account.NewOfficer{
		Username: "h2" + center, Name: "第二处理民警", Role: account.Handler, Center: center, Password: DemoPassword}); err != nil {
		t.Fatal(err)
	}

	citizen := b.NewTab("citizen")
	citizen.Phone()
	citizen.SetGeolocation(38.0428, 114.5149, 10)
	citizen.GrantPermissions("camera", "microphone")
	citizen.OpenCitizen(s, phone)
	citizen.Navigate(s.URL + "/#/tips/new")
	citizen.WaitText("[data-testid=tip-position]", "38.04")
	if n := citizen.Count("input[type=file]"); n != 0 {
		t.Fatalf("the tip form has %d file pickers", n)
	}
	citizen.Click("[data-action=camera]")
	citizen.WaitFunc("the camera to run", func() (string, bool) {
		v := Eval[float64](citizen, `document.querySelector('[data-testid=tip-viewfinder]').videoWidth`)
		return "", v > 0
	})
	citizen.Click("[data-action=shoot]")
	citizen.WaitVisible("[data-testid=tip-captures] figure[data-media] img")
	citizen.SetValue("[data-testid=tip-category]", "drugs")
	citizen.Type("[data-testid=tip-description]", "小区3号楼地下室夜间有人聚集吸毒。")
	citizen.Type("[data-testid=tip-name]", "李举报")
	citizen.Screenshot("tip-citizen-form")
	citizen.Click("[data-action=submit-tip]")
	citizen.WaitText(".tip-facts", "已提交")
	tipID := Eval[string](citizen, `location.hash.split('/').pop()`)
	citizen.Screenshot("tip-citizen-submitted")
	citizen.NoConsoleErrors()

	// The city supervisor assigns it to the county centre's handler.
	super := s.OfficerToken(t, "s"+city)
	var out map[string]any
	if st := s.Call(t, "POST", "/api/v1/tips/"+tipID+"/assign", super, map[string]string{"handler": "h" + center}, &out); st != 200 {
		t.Fatalf("assign: %d %v", st, out)
	}

	handler := b.NewTab("handler")
	handler.Desktop()
	handler.OpenConsole(s, "h"+center)
	handler.Navigate(s.URL + "/console/#/tips")
	handler.WaitVisible("[data-tip='" + tipID + "']")
	handler.Click("[data-tip='" + tipID + "'] [data-action=open-tip]")
	handler.WaitText("[data-testid=tip-description]", "吸毒")
	body := handler.Text("body")
	if strings.Contains(body, phone) || strings.Contains(body, "李举报") {
		t.Fatal("the tip page shows the tipster before the reveal")
	}
	handler.Click("[data-action=show-media]")
	handler.WaitVisible("[data-testid=tip-media] img")
	handler.Type("[data-testid=reveal-reason]", "需要联系举报人核实具体楼层")
	handler.Click("[data-action=reveal]")
	handler.WaitText("[data-testid=revealed]", phone)
	handler.WaitText("[data-testid=revealed]", "李举报")
	handler.Screenshot("tip-handler-revealed")
	handler.NoConsoleErrors()

	// A second handler of the same centre sees the tip but cannot reveal.
	other := b.NewTab("second-handler")
	other.Desktop()
	other.OpenConsole(s, "h2"+center)
	other.Navigate(s.URL + "/console/#/tips/" + tipID)
	other.WaitText("[data-testid=tip-description]", "吸毒")
	other.Type("[data-testid=reveal-reason]", "我也想看看举报人是谁")
	other.Click("[data-action=reveal]")
	other.WaitText("[data-testid=reveal-msg]", "只有分派的处理民警")
	if n := other.Count("[data-testid=revealed]"); n != 0 || strings.Contains(other.Text("body"), phone) {
		t.Fatal("the second handler saw the identity")
	}
	other.Screenshot("tip-second-handler-refused")
	other.NoConsoleErrors("403")

	// The supervisor's access log: who, when, from which IP, why.
	sup := b.NewTab("supervisor")
	sup.Desktop()
	sup.OpenConsole(s, "s"+city)
	sup.Navigate(s.URL + "/console/#/tips/" + tipID)
	row := sup.WaitText("[data-testid=access-log] tr[data-action-name='tip.identity.reveal']", "officer:h"+center)
	for _, want := range []string{"127.0.0.1", "需要联系举报人核实具体楼层"} {
		if !strings.Contains(row, want) {
			t.Fatalf("access log row %q lacks %q", row, want)
		}
	}
	sup.WaitText("[data-testid=access-log] tr[data-action-name='tip.identity.denied']", "officer:h2"+center)
	if strings.Contains(sup.Text("body"), phone) {
		t.Fatal("the supervisor sees the tipster's phone")
	}
	sup.Screenshot("tip-supervisor-access-log")
	sup.NoConsoleErrors()

	// The tipster sees that the tip was looked at, not by whom.
	citizen.Navigate(s.URL + "/#/tips")
	citizen.WaitVisible("[data-testid=my-tips] a[href='#/tips/" + tipID + "']")
	citizen.Click("[data-testid=my-tips] a[href='#/tips/" + tipID + "']")
	citizen.WaitText("[data-testid=tip-views]", "处理民警查看了您的身份信息")
	if strings.Contains(citizen.Text("body"), "h"+center) {
		t.Fatal("the tipster sees which officer looked")
	}
	citizen.Screenshot("tip-citizen-views")
}
