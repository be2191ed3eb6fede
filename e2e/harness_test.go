package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"open110/account"
	"open110/app"
	"open110/platform/fakeclock"
	"open110/web"
)

// The geolocation helper makes navigator.geolocation report the position.
func TestGeolocationOverride(t *testing.T) {
	b := NewBrowser(t)
	ts := httptest.NewServer(web.Handler(web.Options{}))
	defer ts.Close()
	tab := b.NewTab("geo")
	tab.Navigate(ts.URL + "/poster")
	tab.SetGeolocation(38.0428, 114.5149, 12)
	got := Eval[map[string]float64](tab, `new Promise((ok, fail) => navigator.geolocation.getCurrentPosition(
		(p) => ok({ lat: p.coords.latitude, lng: p.coords.longitude, acc: p.coords.accuracy }), (e) => fail(e.message)))`)
	if got["lat"] != 38.0428 || got["lng"] != 114.5149 || got["acc"] != 12 {
		t.Errorf("position %v", got)
	}
}

// shared/ws.js sends the token, reconnects after the server drops it, and
// resumes from the cursor it was given; shared/api.js turns the error
// format and a dead server into ApiErrors with codes.
func TestSharedModules(t *testing.T) {
	b := NewBrowser(t)
	type seen struct{ token, cursor string }
	var mu sync.Mutex
	var conns []seen
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler(web.Options{}))
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, seen{r.URL.Query().Get("access_token"), r.URL.Query().Get("cursor")})
		n := len(conns)
		mu.Unlock()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if n == 1 {
			wsjson.Write(ctx, c, map[string]string{"cursor": "c42"})
			c.Close(websocket.StatusGoingAway, "restart") // the client must come back
			return
		}
		c.CloseRead(ctx)
		<-ctx.Done()
	})
	mux.HandleFunc("GET /api/v1/fail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":{"code":"already_answered","message":"taken","by":"d1"}}`))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	tab := b.NewTab("modules")
	tab.Navigate(ts.URL + "/poster")
	tab.WaitVisible(".sheet")
	prefix := `const v = document.querySelector('script[type=module]').src.replace(/\/poster\/main\.js$/, '');`
	opens := Eval[[]bool](tab, `(async () => { `+prefix+`
		const api = await import(v + '/shared/api.js');
		const { connect } = await import(v + '/shared/ws.js');
		api.setTokenKey('test.token');
		api.setToken('tok-1');
		return await new Promise((resolve) => {
			let cursor = '';
			const opens = [];
			const sock = connect('/ws', {
				minDelayMs: 50,
				query: () => ({ cursor }),
				onMessage: (m) => { cursor = m.cursor; },
				onOpen: ({ reconnected }) => { opens.push(reconnected); if (opens.length === 2) { sock.close(); resolve(opens); } },
			});
		});
	})()`)
	if len(opens) != 2 || opens[0] || !opens[1] {
		t.Errorf("onOpen reconnected flags %v, want [false true]", opens)
	}
	mu.Lock()
	if len(conns) < 2 || conns[0] != (seen{"tok-1", ""}) || conns[1] != (seen{"tok-1", "c42"}) {
		t.Errorf("connections %+v, want the token both times and cursor c42 the second", conns)
	}
	mu.Unlock()

	got := Eval[map[string]any](tab, `(async () => { `+prefix+`
		const { api } = await import(v + '/shared/api.js');
		const out = {};
		try { await api.get('/api/v1/fail'); } catch (e) { out.code = e.code; out.status = e.status; out.by = e.details.by; }
		try { await api.get('http://127.0.0.1:1/x'); } catch (e) { out.offline = e.code; }
		return out;
	})()`)
	if got["code"] != "already_answered" || got["status"] != float64(409) || got["by"] != "d1" || got["offline"] != "network" {
		t.Errorf("api errors %v", got)
	}
}

// With the server gone the citizen app says so and offers the phone.
func TestCitizenOffline(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("citizen")
	tab.Phone()
	tab.Navigate(s.URL + "/#/signin")
	tab.WaitVisible("input[name=phone]")
	s.App.Close()
	tab.Type("input[name=phone]", "13800138000")
	tab.Click("button.send-code")
	tab.WaitText(".form-msg", "无法连接服务器")
	tab.WaitVisible(".offline-banner")
	if !strings.Contains(tab.Text(".offline-banner"), "12110") || tab.Count(`.offline-banner a[href="tel:110"]`) != 1 {
		t.Errorf("offline banner: %q", tab.Text(".offline-banner"))
	}
	tab.Screenshot("offline")
}

// An officer with an authenticator: the TOTP field appears when the server
// asks for it, and the code signs in.
func TestConsoleTOTP(t *testing.T) {
	b := NewBrowser(t)
	clock := fakeclock.New(time.Date(2025, 1, 9, 2, 0, 0, 0, time.UTC))
	s := StartServer(t, func(c *app.Config) { c.Now = clock.Now })
	tok := s.OfficerToken(t, "h130100")
	var enrol struct{ Secret string }
	if st := s.Call(t, "POST", "/api/v1/auth/totp/enroll", tok, nil, &enrol); st != 200 {
		t.Fatalf("enroll: %d", st)
	}
	code, _ := account.TOTPCode(enrol.Secret, clock.Now())
	if st := s.Call(t, "POST", "/api/v1/auth/totp/confirm", tok, map[string]string{"code": code}, nil); st != 204 {
		t.Fatalf("confirm: %d", st)
	}
	clock.Add(31 * time.Second) // a code is good once

	tab := b.NewTab("console")
	tab.Desktop()
	tab.Navigate(s.URL + "/console/")
	tab.Type("input[name=username]", "h130100")
	tab.Type("input[name=password]", DemoPassword)
	if !Eval[bool](tab, `document.querySelector('input[name=totp]').closest('.field').hidden`) {
		t.Error("TOTP field shown before the server asked")
	}
	tab.Click("button[type=submit]")
	tab.WaitVisible("input[name=totp]")
	tab.Screenshot("totp")
	code, _ = account.TOTPCode(enrol.Secret, clock.Now())
	tab.Type("input[name=totp]", code)
	tab.Click("button[type=submit]")
	tab.WaitText("[data-testid=officer]", "处理民警")
	tab.NoConsoleErrors(`401`)
}

// Inside ../shared/tools/in-netns, Chromium gathers ICE candidates and two
// peers in one page connect over 127.0.0.2: the ground the media tests
// stand on. Elsewhere this skips (see RequireWebRTC).
func TestWebRTCInNamespace(t *testing.T) {
	RequireWebRTC(t)
	b := NewBrowser(t)
	ts := httptest.NewServer(web.Handler(web.Options{}))
	defer ts.Close()
	tab := b.NewTab("webrtc")
	tab.Navigate(ts.URL + "/poster")
	state := Eval[string](tab, `(async () => {
		const a = new RTCPeerConnection(), b = new RTCPeerConnection();
		a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
		b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
		const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
		stream.getTracks().forEach((tr) => a.addTrack(tr, stream));
		await a.setLocalDescription(await a.createOffer());
		await b.setRemoteDescription(a.localDescription);
		await b.setLocalDescription(await b.createAnswer());
		await a.setRemoteDescription(b.localDescription);
		for (let i = 0; i < 100 && a.connectionState !== 'connected'; i++) await new Promise((r) => setTimeout(r, 100));
		return a.connectionState;
	})()`)
	if state != "connected" {
		t.Fatalf("peer connection state %q, want connected", state)
	}
}

// shared/map.js draws the province's boundaries with the vendored Leaflet,
// no tiles, and a caller's position (what the alarm console builds on).
func TestMapModule(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	tab := b.NewTab("map")
	tab.Desktop()
	tab.OpenConsole(s, "d130100")
	n := Eval[int](tab, `(async () => {
		const v = document.querySelector('script[type=module]').src.replace(/\/console\/main\.js$/, '');
		const { createMap, positionMarker } = await import(v + '/shared/map.js');
		const el = document.createElement('div');
		el.style.cssText = 'position:fixed;right:16px;bottom:16px;width:560px;height:420px;z-index:1000;background:#fff;border:1px solid #999';
		document.body.appendChild(el);
		const map = await createMap(el, { boundary: '130100' });
		positionMarker(map, { lat: 38.0428, lng: 114.5149, accuracy_m: 300 }, { follow: false });
		return el.querySelectorAll('path.leaflet-interactive').length;
	})()`)
	if n < 10 { // the city's counties plus the marker and its circle
		t.Errorf("%d shapes on the map", n)
	}
	tab.Screenshot("map")
	tab.NoConsoleErrors()
}
