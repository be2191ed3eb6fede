package alarm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/platform/api"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

type client struct {
	t    *testing.T
	base string
}

func (c client) do(token, method, path string, body any, hdr ...string) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			c.t.Fatalf("%s %s: %s", method, path, b)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

var people = map[string]account.Principal{
	"cit":      citizen("c0001"),
	"cit2":     citizen("c0002"),
	"d130102":  dispatcher("d130102", "130102"),
	"d130102b": dispatcher("d130102b", "130102"),
	"d130104":  dispatcher("d130104", "130104"),
}

func TestHTTPFixedPoints(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := client{t, e.server(people).URL}
		raise := map[string]any{"kind": "text", "location": map[string]any{"lat": museum.Lat, "lng": museum.Lng, "accuracy_m": 15}}
		st, a, _ := c.do("cit", "POST", "/api/v1/alarms", raise)
		if st != 201 || a["state"] != "queued" || a["kind"] != "text" || a["id"] == "" {
			t.Fatalf("raise %d %v", st, a)
		}
		center := a["center"].(map[string]any)
		if center["code"] != "130102" || center["name"] == "" {
			t.Fatalf("centre %v", center)
		}
		id := a["id"].(string)
		// Idempotency by header.
		_, r1, _ := c.do("cit", "POST", "/api/v1/alarms", raise, "Idempotency-Key", "abc")
		st, r2, h := c.do("cit", "POST", "/api/v1/alarms", raise, "Idempotency-Key", "abc")
		if st != 201 || r1["id"] != r2["id"] || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("idempotent retry %d %v %v", st, r1["id"], r2["id"])
		}
		// Bad input.
		for _, bad := range []struct {
			token, body, code string
			status            int
		}{
			{"", `{"kind":"text"}`, "unauthorized", 401},
			{"d130102", `{"kind":"text"}`, "forbidden", 403},
			{"cit", `{"kind":"fax","location":{"lat":38,"lng":114.5,"accuracy_m":5}}`, "invalid_kind", 400},
			{"cit", `{"kind":"sms"}`, "invalid_kind", 400},
			{"cit", `{"kind":"text","location":{"lat":"x","lng":114.5}}`, "invalid_type", 400},
			{"cit", `{"kind":"text","location":{"lat":95,"lng":114.5,"accuracy_m":5}}`, "invalid_location", 400},
			{"cit", `{"kind":"text","extra":1}`, "unknown_field", 400},
			{"cit", `{"kind":`, "invalid_json", 400},
		} {
			st, out, _ := c.do(bad.token, "POST", "/api/v1/alarms", bad.body)
			if st != bad.status || errCode(out) != bad.code {
				t.Errorf("%s %s: %d %v", bad.token, bad.body, st, out)
			}
		}
		// Visibility.
		_, q, _ := c.do("d130102", "GET", "/api/v1/alarms?state=queued", nil)
		if n := len(q["alarms"].([]any)); n != 2 {
			t.Fatalf("queue has %d", n)
		}
		_, q, _ = c.do("d130104", "GET", "/api/v1/alarms?state=queued", nil)
		if n := len(q["alarms"].([]any)); n != 0 {
			t.Fatalf("other queue has %d", n)
		}
		if st, out, _ := c.do("d130104", "GET", "/api/v1/alarms/"+id, nil); st != 404 {
			t.Fatalf("other centre get %d %v", st, out)
		}
		if st, _, _ := c.do("cit2", "GET", "/api/v1/alarms/"+id, nil); st != 404 {
			t.Fatalf("other citizen get %d", st)
		}
		if st, _, _ := c.do("d130102", "GET", "/api/v1/alarms?state=nope", nil); st != 400 {
			t.Fatalf("bad state filter %d", st)
		}
		// Answer: one wins.
		if st, out, _ := c.do("d130102", "POST", "/api/v1/alarms/"+id+"/answer", nil); st != 200 || out["state"] != "answered" {
			t.Fatalf("answer %d %v", st, out)
		}
		if st, out, _ := c.do("d130102b", "POST", "/api/v1/alarms/"+id+"/answer", nil); st != 409 || errCode(out) != "already_answered" {
			t.Fatalf("second answer %d %v", st, out)
		}
		// Chat.
		if st, _, _ := c.do("cit", "POST", "/api/v1/alarms/"+id+"/messages", map[string]string{"text": "我在博物馆门口"}); st != 201 {
			t.Fatalf("caller message %d", st)
		}
		if st, _, _ := c.do("d130102", "POST", "/api/v1/alarms/"+id+"/messages", map[string]string{"text": "民警正在赶来"}); st != 201 {
			t.Fatalf("dispatcher message %d", st)
		}
		if st, out, _ := c.do("cit", "POST", "/api/v1/alarms/"+id+"/messages", map[string]string{"text": ""}); st != 400 || errCode(out) != "empty_message" {
			t.Fatalf("empty %d %v", st, out)
		}
		_, ms, _ := c.do("cit", "GET", "/api/v1/alarms/"+id+"/messages", nil)
		list := ms["messages"].([]any)
		if len(list) != 2 {
			t.Fatalf("messages %v", ms)
		}
		m0, m1 := list[0].(map[string]any), list[1].(map[string]any)
		if m0["from"] != "caller" || m0["text"] != "我在博物馆门口" || m1["from"] != "dispatcher" || m0["at"] == "" {
			t.Fatalf("messages %v", list)
		}
		// End.
		if st, out, _ := c.do("d130102", "POST", "/api/v1/alarms/"+id+"/end", map[string]string{"disposition": "resolved"}); st != 200 || out["state"] != "closed" {
			t.Fatalf("end %d %v", st, out)
		}
		if st, out, _ := c.do("d130102", "POST", "/api/v1/alarms/"+id+"/end", map[string]string{"disposition": "resolved"}); st != 409 {
			t.Fatalf("end twice %d %v", st, out)
		}
		// SMS inbound over HTTP.
		body := `{"id":"gw-9","from":"13900000009","to":"12110","text":"救命"}`
		ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
		hdr := []string{"X-Open110-Timestamp", ts, "X-Open110-Signature", sms.Sign(smsSecret, ts, []byte(body))}
		if st, out, _ := c.do("", "POST", "/api/v1/sms/inbound", body, hdr...); st != 201 || out["alarm_id"] == "" {
			t.Fatalf("sms %d %v", st, out)
		}
		if st, out, _ := c.do("", "POST", "/api/v1/sms/inbound", body, hdr...); st != 409 || errCode(out) != "replayed" {
			t.Fatalf("sms replay %d %v", st, out)
		}
		hdr[3] = strings.Repeat("0", 64)
		if st, out, _ := c.do("", "POST", "/api/v1/sms/inbound", body, hdr...); st != 401 || errCode(out) != "invalid_signature" {
			t.Fatalf("sms forged %d %v", st, out)
		}
	})
}

type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, url string) wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return wsConn{t, c}
}

func (w wsConn) next() map[string]any {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// until reads frames until one of type typ (events: of event type et).
func (w wsConn) until(typ, et string) map[string]any {
	w.t.Helper()
	for {
		m := w.next()
		if m["type"] != typ {
			continue
		}
		if et == "" || m["event"].(map[string]any)["type"] == et {
			return m
		}
	}
}

func TestFeedSnapshotEventsAndResume(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		srv := e.server(people)
		ws := "ws" + strings.TrimPrefix(srv.URL, "http")
		c := client{t, srv.URL}
		first := e.raise(citizen("c0001"), Text, &museum)

		console := dialWS(t, ws+"/api/v1/alarms/feed?access_token=d130102")
		snap := console.next()
		if snap["type"] != "snapshot" || len(snap["alarms"].([]any)) != 1 {
			t.Fatalf("snapshot %v", snap)
		}
		cursor := int64(snap["cursor"].(float64))
		console.until("synced", "")

		// Raise → the console hears it (and not another centre's).
		e.raise(citizen("c0002"), Text, &station)
		second := e.raise(citizen("c0002"), Text, &museum)
		ev := console.until("event", "raised")["event"].(map[string]any)
		if ev["alarm_id"] != second.ID || int64(ev["seq"].(float64)) <= cursor {
			t.Fatalf("event %v", ev)
		}
		cursor = int64(ev["seq"].(float64))
		console.c.Close(websocket.StatusNormalClosure, "")

		// While disconnected: three changes.
		if st, _, _ := c.do("d130102", "POST", "/api/v1/alarms/"+first.ID+"/answer", nil); st != 200 {
			t.Fatal("answer")
		}
		e.s.AddMessage(ctx, citizen("c0001"), first.ID, "快来")
		e.s.Cancel(ctx, citizen("c0002"), second.ID, "")

		// Resume from the cursor: exactly the missed events, in order.
		console = dialWS(t, ws+"/api/v1/alarms/feed?access_token=d130102&cursor="+strconv.FormatInt(cursor, 10))
		var types []string
		last := cursor
		for {
			m := console.next()
			if m["type"] == "synced" {
				break
			}
			ev := m["event"].(map[string]any)
			seq := int64(ev["seq"].(float64))
			if seq <= last {
				t.Fatalf("duplicate or out of order: %d after %d", seq, last)
			}
			last = seq
			types = append(types, ev["type"].(string))
		}
		if strings.Join(types, ",") != "answered,message,cancelled" {
			t.Fatalf("resumed events %v", types)
		}

		// The caller's own live view: state and chat.
		caller := dialWS(t, ws+"/api/v1/alarms/"+first.ID+"/feed?access_token=cit")
		cs := caller.next()
		if cs["type"] != "snapshot" || cs["alarm"].(map[string]any)["state"] != "answered" || len(cs["messages"].([]any)) != 1 {
			t.Fatalf("caller snapshot %v", cs)
		}
		caller.until("synced", "")
		e.s.AddMessage(ctx, dispatcher("d130102", "130102"), first.ID, "民警正在赶来")
		msg := caller.until("event", "message")["event"].(map[string]any)
		data := msg["data"].(map[string]any)["message"].(map[string]any)
		if data["text"] != "民警正在赶来" || data["from"] != "dispatcher" || data["sender"] != nil {
			t.Fatalf("caller message event %v", msg)
		}
		// The caller acks over the socket; the dispatcher sees the receipt.
		ack, _ := json.Marshal(map[string]any{"type": "ack", "delivered_upto": 2, "read_upto": 2})
		caller.c.Write(ctx, websocket.MessageText, ack)
		console.until("event", "receipt")

		// Another centre and strangers: refused.
		if st, _, _ := c.do("d130104", "GET", "/api/v1/alarms/"+first.ID+"/feed", nil); st != 404 {
			t.Fatalf("other centre's alarm feed: %d", st)
		}
		if st, _, _ := c.do("cit", "GET", "/api/v1/alarms/feed", nil); st != 403 {
			t.Fatalf("citizen console feed: %d", st)
		}
	})
}

func TestOpenAPICoversRoutes(t *testing.T) {
	paths := OpenAPI()
	for _, p := range []string{"/api/v1/alarms", "/api/v1/alarms/{id}/answer", "/api/v1/alarms/{id}/messages", "/api/v1/alarms/{id}/end",
		"/api/v1/alarms/feed", "/api/v1/sms/inbound", "/api/v1/stats/alarms", "/api/v1/alarms/{id}/incident/eido"} {
		if paths[p] == nil {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
	if _, err := json.Marshal(paths); err != nil {
		t.Fatal(err)
	}
}

// TestFeedFloodClosed: a client that sends messages on its feed faster than
// the feed's rate is cut off with 4429 (it may reconnect); acks at a human
// pace keep the socket open.
func TestFeedFloodClosed(t *testing.T) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		srv := e.server(people)
		ws := "ws" + strings.TrimPrefix(srv.URL, "http")
		e.raise(citizen("c0001"), Text, &museum)
		console := dialWS(t, ws+"/api/v1/alarms/feed?access_token=d130102")
		if snap := console.next(); snap["type"] != "snapshot" {
			t.Fatalf("snapshot %v", snap)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ack := []byte(`{"type":"ack","delivered_upto":0,"read_upto":0}`)
		for i := 0; i < 5; i++ { // a few acks: fine
			if err := console.c.Write(ctx, websocket.MessageText, ack); err != nil {
				t.Fatalf("ack %d: %v", i, err)
			}
		}
		for i := 0; i < 2000; i++ {
			if err := console.c.Write(ctx, websocket.MessageText, ack); err != nil {
				break // closed under us: expected
			}
		}
		for {
			_, _, err := console.c.Read(ctx)
			if err == nil {
				continue
			}
			if st := websocket.CloseStatus(err); st != api.StatusTooManyMessages {
				t.Fatalf("feed flood ended with %v (status %d), want %d", err, st, api.StatusTooManyMessages)
			}
			return
		}
	})
}
