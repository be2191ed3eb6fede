package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// The citizen app: sign in with a code from the SMS outbox, see the home
// screen with its functions and the always-working call links, open a
// function that is not built yet, switch language, sign out.
func TestCitizenShell(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("citizen")
	tab.Phone()

	tab.Navigate(s.URL + "/")
	tab.WaitVisible("input[name=phone]")
	if got := tab.Text("h1"); got != "手机号登录" {
		t.Errorf("sign-in title %q", got)
	}
	// Nobody has to sign in to call the police.
	for _, href := range []string{"tel:110", "tel:122", "sms:12110"} {
		if tab.Count(`a[href="`+href+`"]`) == 0 {
			t.Errorf("sign-in screen: no %s link", href)
		}
	}
	tab.Screenshot("signin")

	tab.SignInCitizen(s, "13800138000")
	home := tab.Text("#outlet")
	for _, want := range []string{"视频报警", "静默报警", "语音报警", "文字报警", "亲友互助", "寻人启事", "线索举报", "悬赏任务", "拨打110", "拨打122", "短信报警"} {
		if !strings.Contains(home, want) {
			t.Errorf("home screen lacks %q", want)
		}
	}
	if got := tab.Count(".grid-alarms .tile"); got != 4 {
		t.Errorf("%d alarm tiles, want 4", got)
	}
	for sel, want := range map[string]string{".call.c110": "tel:110", ".call.c122": "tel:122", ".call.c12110": "sms:12110"} {
		if got := tab.Attr(sel, "href"); got != want {
			t.Errorf("%s href %q, want %q", sel, got, want)
		}
	}
	if tok := tab.LocalStorage(CitizenTokenKey); tok == "" {
		t.Error("no token stored after sign-in")
	}
	tab.Screenshot("home")

	// Every function tile now opens its feature, not the "not available
	// yet" placeholder the shell shows for functions without a module.
	tab.Click(`[data-fn=tips]`)
	tab.WaitText(".hdr-title", "线索举报")
	if n := tab.Count(".na-title"); n != 0 {
		t.Errorf("线索举报 still shows the placeholder")
	}
	tab.Screenshot("tips")
	tab.Click(".hdr-back")
	tab.WaitVisible(".grid-alarms")

	// A feature module plugged in through the registry.
	tab.Click(`a.home-link[href="#/notes"]`)
	tab.WaitText(".hdr-title", "使用须知")
	tab.Click(".hdr-back")
	tab.WaitVisible(".grid-alarms")

	// English, kept across a reload.
	tab.Click(".lang-switch")
	tab.WaitText(".grid-alarms", "Video alarm")
	if got := Eval[string](tab, "document.documentElement.lang"); got != "en" {
		t.Errorf("html lang %q", got)
	}
	tab.Screenshot("home-en")
	tab.Navigate(s.URL + "/")
	tab.WaitText(".grid-alarms", "Silent alarm")
	tab.Click(".lang-switch")
	tab.WaitText(".grid-alarms", "视频报警")

	// Reloading keeps the session.
	tab.Navigate(s.URL + "/")
	tab.WaitVisible(".grid-alarms")

	// Sign out: back to sign-in, token gone, and the server forgot it.
	tok := tab.LocalStorage(CitizenTokenKey)
	tab.Click("[data-action=signout]")
	tab.WaitVisible("input[name=phone]")
	if tab.LocalStorage(CitizenTokenKey) != "" {
		t.Error("token kept after sign-out")
	}
	if st := s.Call(t, "GET", "/api/v1/me", tok, nil, nil); st != 401 {
		t.Errorf("/me with the signed-out token: %d, want 401", st)
	}
	tab.NoConsoleErrors()
}

// A wrong code is refused with a clear message and nothing is stored.
func TestCitizenWrongCode(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("citizen")
	tab.Phone()
	tab.Navigate(s.URL + "/#/signin")
	tab.Type("input[name=phone]", "13900139000")
	tab.Click("button.send-code")
	code := s.LatestSMSCode(t, "13900139000")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	tab.Type("input[name=code]", wrong)
	tab.Click("[data-testid=signin-submit]")
	tab.WaitText(".form-msg", "验证码错误")
	if tab.LocalStorage(CitizenTokenKey) != "" {
		t.Error("token stored after a wrong code")
	}
	tab.Screenshot("wrong-code")
	// The resend button counts down instead of letting the user hammer it.
	if got := tab.Text("button.send-code"); !strings.Contains(got, "秒") {
		t.Errorf("send button %q, want a countdown", got)
	}
	tab.NoConsoleErrors(`401`)
}

// The console: officer sign-in shows the centre's name, the officer and
// the empty queue; English works; a supervisor sees more navigation.
func TestConsoleShell(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("console")
	tab.Desktop()

	tab.Navigate(s.URL + "/console/")
	tab.WaitVisible("input[name=username]")
	tab.Screenshot("signin")

	// A wrong password is refused plainly.
	tab.Type("input[name=username]", "d130100")
	tab.Type("input[name=password]", "not-the-password")
	tab.Click("button[type=submit]")
	tab.WaitText(".form-msg", "用户名或密码错误")

	tab.SignInOfficer(s, "d130100")
	center := tab.Text("[data-testid=center-name]")
	if !strings.Contains(center, "石家庄") || !strings.Contains(center, "110指挥中心") {
		t.Errorf("centre name %q", center)
	}
	if got := tab.Text("[data-testid=officer]"); !strings.Contains(got, "接警员") {
		t.Errorf("officer box %q", got)
	}
	tab.WaitText("[data-testid=queue-empty]", "暂无排队警情")
	if tab.Count("[data-nav=audit]") != 0 {
		t.Error("a dispatcher sees the audit log entry")
	}
	tab.Screenshot("queue")

	tab.Click(".lang-switch")
	tab.WaitText("[data-testid=queue-empty]", "No alarms waiting")
	tab.WaitText("[data-testid=officer]", "Dispatcher")
	tab.Screenshot("queue-en")
	tab.Click(".lang-switch")
	tab.WaitText("[data-testid=queue-empty]", "暂无排队警情")

	tab.Click("[data-action=signout]")
	tab.WaitVisible("input[name=username]")
	if tab.LocalStorage(ConsoleTokenKey) != "" {
		t.Error("token kept after sign-out")
	}
	tab.NoConsoleErrors(`401`)

	// The province admin sees the supervisor entries and the centres list
	// (a console feature module plugged in through the registry).
	admin := b.NewTab("admin")
	admin.Desktop()
	admin.OpenConsole(s, "admin")
	admin.WaitVisible("[data-nav=audit]")
	admin.Click("[data-nav=centers]")
	admin.WaitText(".panel-hdr", "全省110指挥中心")
	admin.WaitText(".table", "石家庄市")
	admin.Screenshot("centers")
	admin.NoConsoleErrors()
}

// The poster: a QR code that opens the citizen app.
func TestPoster(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("poster")
	tab.Desktop()
	tab.Navigate(s.URL + "/poster")
	tab.WaitText(".p-qr", "扫码注册")
	// The image decoded and has its size: the SVG is valid.
	if w := Eval[int](tab, `(async () => { const i = document.querySelector('.p-qr img'); await i.decode(); return i.naturalWidth; })()`); w <= 0 {
		t.Errorf("QR image width %d", w)
	}
	shot := tab.Screenshot("poster")
	tab.NoConsoleErrors()

	// Where zbarimg (apt zbar-tools) is installed, the printed code must
	// scan to the citizen app's URL.
	if zbar, err := exec.LookPath("zbarimg"); err == nil {
		out, err := exec.Command(zbar, "-q", "--raw", shot).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != s.URL+"/" {
			t.Errorf("QR on the poster scans to %q (%v), want %q", got, err, s.URL+"/")
		}
	} else {
		t.Log("zbarimg not installed: the QR code was not scanned")
	}
}
