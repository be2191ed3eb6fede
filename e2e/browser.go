// Package e2e drives the real UIs in a real browser: Debian's Chromium,
// headless, through chromedp, against a real open110 node booted with
// app.Start. See README.md in this folder for the API and for the tests
// that need WebRTC (they run inside ../shared/tools/in-netns).
package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds each browser step (a navigation, a wait, a click).
// It is a guard against hangs, not a performance assertion: CI runs the
// browser tests beside the cluster and chaos tests on two cores, where a
// step that takes 1 s alone can take many times that.
var DefaultTimeout = 45 * time.Second

// ChromiumPath finds the browser: $OPEN110_CHROMIUM, else chromium on PATH.
func ChromiumPath() string {
	if p := os.Getenv("OPEN110_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NeedBrowser returns the Chromium path, or skips the test with a clear
// message when there is none. With OPEN110_REQUIRE_BROWSER=1 (CI) a missing
// browser fails the test instead.
func NeedBrowser(t testing.TB) string {
	t.Helper()
	p := ChromiumPath()
	if p != "" {
		return p
	}
	msg := "e2e: Chromium not found (apt-get install -y chromium, or set OPEN110_CHROMIUM)"
	if os.Getenv("OPEN110_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; OPEN110_REQUIRE_BROWSER=1 makes this an error")
	}
	t.Skip(msg + "; set OPEN110_REQUIRE_BROWSER=1 to fail instead")
	return ""
}

// RequireWebRTC skips the test unless it runs inside a network namespace
// where Chromium gathers ICE candidates: the one ../shared/tools/in-netns
// makes (lo up plus a veth holding 127.0.0.2). Chromium gathers none when
// loopback is the only interface. With OPEN110_REQUIRE_WEBRTC=1 (CI, inside
// in-netns) the test fails instead of skipping.
func RequireWebRTC(t testing.TB) {
	t.Helper()
	if InNetns() {
		return
	}
	msg := "e2e: browser WebRTC needs a network namespace: run `../shared/tools/in-netns go test ./e2e/...`"
	if os.Getenv("OPEN110_REQUIRE_WEBRTC") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// InNetns reports whether 127.0.0.2 sits on a non-loopback interface, as in
// the namespace of in-netns.
func InNetns() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(net.IPv4(127, 0, 0, 2)) {
				return true
			}
		}
	}
	return false
}

// Browser is one headless Chromium process with its own empty profile.
type Browser struct {
	t           testing.TB
	allocCtx    context.Context
	browserCtx  context.Context
	cancelAlloc context.CancelFunc
	cancel      context.CancelFunc
	shots       string
}

// NewBrowser starts Chromium (or skips, see NeedBrowser) with the flags of
// ../shared/notes/browser-webrtc.md: headless, no sandbox (we run as root),
// no GPU, no QUIC, no background traffic, a new empty profile, fake camera
// and microphone that need no permission prompt. HOME and XDG_CONFIG_HOME
// point at temp dirs so nothing of the machine's user leaks in. The browser
// stops when the test ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	exe := NeedBrowser(t)
	home := t.TempDir()
	profile := filepath.Join(home, "profile")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		// Media elements may play with sound without a click (the
		// dispatcher's and the caller's <video> start on their own).
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1366, 900),
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "TZ=UTC"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Start the browser now, without a timeout (a timeout on the first run
	// would bound the browser's whole life).
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("e2e: start Chromium (%s): %v", exe, err)
	}
	b := &Browser{t: t, allocCtx: allocCtx, browserCtx: ctx, cancelAlloc: cancelAlloc, cancel: cancel, shots: ScreenshotDir(t)}
	t.Cleanup(b.Close)
	return b
}

// Close stops the browser (also done when the test ends).
func (b *Browser) Close() {
	b.cancel()
	b.cancelAlloc()
}

// ScreenshotDir is where screenshots go: $OPEN110_SCREENSHOTS when set
// (kept after the run), else a temp dir of the test.
func ScreenshotDir(t testing.TB) string {
	if d := os.Getenv("OPEN110_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("e2e: screenshot dir: %v", err)
		}
		return d
	}
	return t.TempDir()
}

// Tab is one page in its own browser context: its own cookies and
// localStorage, so two tabs are two different people (a caller and a
// dispatcher, two citizens).
type Tab struct {
	T       testing.TB
	Ctx     context.Context
	b       *Browser
	name    string
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// NewTab opens a tab in a fresh browser context. name labels its screenshots.
func (b *Browser) NewTab(name string) *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.browserCtx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	tab := &Tab{T: b.t, Ctx: ctx, b: b, name: name}
	if err := chromedp.Do(ctx); err != nil { // opens the target
		b.t.Fatalf("e2e: open tab: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, m)
			tab.mu.Unlock()
		}
	}()
	return tab
}

// Do runs actions with DefaultTimeout and fails the test on error.
func (tb *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fail("%v", err)
	}
}

// Eval runs a JavaScript expression (promises are awaited) and returns its value.
func Eval[T any](tb *Tab, js string) T {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("eval %q: %v", js, err)
	}
	return v
}

// fail adds the page's console and a screenshot to a failure: a blank page
// in CI is otherwise hard to explain.
func (tb *Tab) fail(format string, args ...any) {
	tb.T.Helper()
	shot := tb.trySnapshot("FAILED")
	tb.T.Fatalf("e2e[%s]: %s\nscreenshot: %s\nconsole:\n%s", tb.name, fmt.Sprintf(format, args...), shot, tb.ConsoleText())
}

// Navigate loads url and waits for the load event.
func (tb *Tab) Navigate(url string) {
	tb.T.Helper()
	tb.Do(chromedp.Navigate(url))
}

// Phone emulates a phone: 390×844 CSS pixels, touch, mobile viewport.
func (tb *Tab) Phone() {
	tb.T.Helper()
	tb.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
}

// Desktop emulates a 1440×900 desktop window.
func (tb *Tab) Desktop() {
	tb.T.Helper()
	tb.Do(chromedp.EmulateViewport(1440, 900))
}

// SetGeolocation grants the geolocation permission to every origin of this
// tab's browser context and makes navigator.geolocation report the
// position (WGS-84). Call it again to move.
func (tb *Tab) SetGeolocation(lat, lng, accuracyM float64) {
	tb.T.Helper()
	tb.GrantPermissions("geolocation")
	tb.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lng, Accuracy: &accuracyM,
		})
		return err
	}))
}

// GrantPermissions grants browser permissions ("geolocation", "camera",
// "microphone", "notifications"...) in this tab's browser context.
func (tb *Tab) GrantPermissions(names ...string) {
	tb.T.Helper()
	c := chromedp.FromContext(tb.Ctx)
	for _, n := range names {
		tb.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission:       &browser.PermissionDescriptor{Name: n},
				Setting:          browser.PermissionSettingGranted,
				BrowserContextID: c.BrowserContextID,
			})
			return err
		}))
	}
}

// Click clicks the first element matching the CSS selector (waiting for it).
func (tb *Tab) Click(sel string) {
	tb.T.Helper()
	tb.doNode(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// doNode runs an action on a node found by selector, trying again when the
// page re-rendered between finding the node and acting on it (the node
// then no longer exists: a real user would simply click the new one).
func (tb *Tab) doNode(action chromedp.Action[chromedp.Void]) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	var err error
	for try := 0; try < 5; try++ {
		if err = chromedp.Do(ctx, action); err == nil || !staleNode(err) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tb.fail("%v", err)
	}
}

func staleNode(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node with given id") || strings.Contains(msg, "Node is detached") ||
		strings.Contains(msg, "No node with given id")
}

// Type focuses the element and types text into it (after what is there).
func (tb *Tab) Type(sel, text string) {
	tb.T.Helper()
	tb.doNode(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// SetValue replaces an input's value and fires "input" (for fields where
// typing character by character does not matter).
func (tb *Tab) SetValue(sel, value string) {
	tb.T.Helper()
	tb.doNode(chromedp.SetValue(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// WaitVisible waits until an element matching the CSS selector is visible.
func (tb *Tab) WaitVisible(sel string) {
	tb.T.Helper()
	tb.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitGone waits until no element matches the CSS selector.
func (tb *Tab) WaitGone(sel string) {
	tb.T.Helper()
	tb.Do(chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// Text is the visible text (innerText) of the first element matching sel.
func (tb *Tab) Text(sel string) string {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		tb.fail("text of %s: %v", sel, err)
	}
	return s
}

// WaitText waits until the innerText of the first element matching sel
// contains want, and returns that text.
func (tb *Tab) WaitText(sel, want string) string {
	tb.T.Helper()
	return tb.WaitFunc(fmt.Sprintf("%q in %s", want, sel), func() (string, bool) {
		s, _ := tb.tryEval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : ''; })()`, sel))
		return s, strings.Contains(s, want)
	})
}

// WaitFunc polls f every 100 ms until it reports done (or DefaultTimeout).
func (tb *Tab) WaitFunc(what string, f func() (string, bool)) string {
	tb.T.Helper()
	deadline := time.Now().Add(DefaultTimeout)
	var last string
	for {
		s, ok := f()
		if ok {
			return s
		}
		last = s
		if time.Now().After(deadline) {
			tb.fail("waiting for %s; last seen %q", what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tb *Tab) tryEval(js string) (string, error) {
	ctx, cancel := context.WithTimeout(tb.Ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](js))
}

// Attr is an attribute of the first element matching sel ("" when absent).
func (tb *Tab) Attr(sel, name string) string {
	tb.T.Helper()
	return Eval[string](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? (e.getAttribute(%q) || '') : ''; })()`, sel, name))
}

// Count is the number of elements matching sel right now.
func (tb *Tab) Count(sel string) int {
	tb.T.Helper()
	return Eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// Screenshot saves a PNG of the whole page as <dir>/<test>-<tab>-<name>.png
// and returns its path.
func (tb *Tab) Screenshot(name string) string {
	tb.T.Helper()
	p, err := tb.snapshot(name)
	if err != nil {
		tb.T.Fatalf("e2e: screenshot %s: %v", name, err)
	}
	tb.T.Logf("screenshot: %s", p)
	return p
}

func (tb *Tab) trySnapshot(name string) string {
	p, err := tb.snapshot(name)
	if err != nil {
		return "(none: " + err.Error() + ")"
	}
	return p
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (tb *Tab) snapshot(name string) (string, error) {
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	file := unsafeName.ReplaceAllString(tb.T.Name()+"-"+tb.name+"-"+name, "_") + ".png"
	p := filepath.Join(tb.b.shots, file)
	return p, os.WriteFile(p, png, 0o644)
}

// Console returns what the page has written to its console so far,
// uncaught exceptions and browser log entries (CSP violations, failed
// loads) included.
func (tb *Tab) Console() []chromedp.ConsoleMessage {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), tb.console...)
}

// ConsoleText is Console as text, one message a line.
func (tb *Tab) ConsoleText() string {
	var b strings.Builder
	for _, m := range tb.Console() {
		fmt.Fprintf(&b, "  %s %s\n", m.String(), m.URL)
	}
	return b.String()
}

// ConsoleErrors are the console errors and exceptions so far, ignoring
// those matching any of ignore (regular expressions), e.g. an expected 401.
func (tb *Tab) ConsoleErrors(ignore ...string) []string {
	var out []string
next:
	for _, m := range tb.Console() {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
			continue
		}
		s := m.String() + " " + m.URL
		for _, pat := range ignore {
			if regexp.MustCompile(pat).MatchString(s) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// NoConsoleErrors fails the test if the page logged errors or exceptions
// (a CSP violation shows up here).
func (tb *Tab) NoConsoleErrors(ignore ...string) {
	tb.T.Helper()
	if errs := tb.ConsoleErrors(ignore...); len(errs) > 0 {
		tb.T.Errorf("e2e[%s]: console errors:\n  %s", tb.name, strings.Join(errs, "\n  "))
	}
}

// LocalStorage reads a key of the current origin's localStorage.
func (tb *Tab) LocalStorage(key string) string {
	tb.T.Helper()
	return Eval[string](tb, fmt.Sprintf(`localStorage.getItem(%q) || ''`, key))
}

// SetLocalStorage writes a key of the current origin's localStorage (load a
// page of the origin first).
func (tb *Tab) SetLocalStorage(key, value string) {
	tb.T.Helper()
	if _, err := tb.tryEval(fmt.Sprintf(`(localStorage.setItem(%q, %q), '')`, key, value)); err != nil {
		tb.fail("localStorage: %v", err)
	}
}
