package e2e

import (
	"testing"
	"time"

	"open110/app"
)

// TestGuardianNodeAPI walks 亲友互助 through the whole node's HTTP API: link,
// trip, points, a restart during the trip (no acknowledged point lost),
// a guardian's alarm routed by the last position, the handling centre's
// read (audited, shown to the traveller) and 404 for everyone else.
func TestGuardianNodeAPI(t *testing.T) {
	dir := t.TempDir()
	s := StartServer(t, func(c *app.Config) { c.Data = dir })
	const me, mum = "13800138101", "13800138102"
	tMe, tMum := s.CitizenToken(t, me), s.CitizenToken(t, mum)

	var link struct{ ID string }
	if st := s.Call(t, "POST", "/api/v1/guardians", tMe, map[string]any{"phone": mum, "label": "妈妈", "default": true}, &link); st != 201 {
		t.Fatalf("invite: %d", st)
	}
	if st := s.Call(t, "POST", "/api/v1/guardians/"+link.ID+"/accept", tMum, nil, nil); st != 200 {
		t.Fatalf("accept: %d", st)
	}
	var trip struct {
		ID     string
		Cursor int64
	}
	if st := s.Call(t, "POST", "/api/v1/trips", tMe, map[string]any{"mode": "taxi", "note": "冀A·D1234"}, &trip); st != 201 {
		t.Fatalf("start: %d", st)
	}
	now := time.Now().UTC()
	acked := 0
	for b := range 4 {
		var pts []map[string]any
		for k := range 10 {
			seq := b*10 + k + 1
			pts = append(pts, map[string]any{"seq": seq, "at": now.Add(time.Duration(seq-45) * time.Second).Format(time.RFC3339Nano),
				"lat": 38.0103 + float64(seq)*0.0008, "lng": 114.4825 + float64(seq)*0.001, "accuracy_m": 8})
		}
		var res struct{ Accepted int }
		if st := s.Call(t, "POST", "/api/v1/trips/"+trip.ID+"/points", tMe, map[string]any{"points": pts}, &res); st != 200 {
			t.Fatalf("points: %d", st)
		}
		acked += res.Accepted
	}
	// Restart the node in the middle of the trip.
	if err := s.App.Close(); err != nil {
		t.Fatal(err)
	}
	s = StartServer(t, func(c *app.Config) { c.Data = dir })
	var track struct{ Points []map[string]any }
	if st := s.Call(t, "GET", "/api/v1/trips/"+trip.ID+"/points", tMum, nil, &track); st != 200 || len(track.Points) != acked || acked != 40 {
		t.Fatalf("after restart: %d, %d points of %d", st, len(track.Points), acked)
	}

	// Police see nothing without an alarm: the trip does not exist for them.
	for _, u := range []string{"d130102", "d130104", "admin"} {
		tok := s.OfficerToken(t, u)
		if st := s.Call(t, "GET", "/api/v1/trips/"+trip.ID, tok, nil, nil); st != 404 {
			t.Errorf("%s reads the trip: %d", u, st)
		}
		if st := s.Call(t, "GET", "/api/v1/trips/"+trip.ID+"/points", tok, nil, nil); st != 404 {
			t.Errorf("%s reads the track: %d", u, st)
		}
	}
	if st := s.Call(t, "GET", "/api/v1/trips/"+trip.ID, "", nil, nil); st != 401 {
		t.Errorf("signed out: %d", st)
	}
	// The guardian raises an alarm: routed by the last position.
	var raised struct {
		AlarmID string `json:"alarm_id"`
		Center  string
	}
	if st := s.Call(t, "POST", "/api/v1/trips/"+trip.ID+"/alarms", tMum, map[string]any{}, &raised); st != 201 {
		t.Fatalf("raise: %d", st)
	}
	var alarm struct {
		Center      struct{ Code string }
		CallerPhone string `json:"caller_phone"`
		Links       map[string]string
	}
	dTok := s.OfficerToken(t, "d"+raised.Center)
	if st := s.Call(t, "GET", "/api/v1/alarms/"+raised.AlarmID, dTok, nil, &alarm); st != 200 || alarm.Links["trip_id"] != trip.ID || alarm.CallerPhone != "+86"+me {
		t.Fatalf("alarm at %s: %d %+v", raised.Center, st, alarm)
	}
	var view struct {
		Points []map[string]any
		Notice string
	}
	if st := s.Call(t, "GET", "/api/v1/trips/linked?alarm_id="+raised.AlarmID, dTok, nil, &view); st != 200 || len(view.Points) != 40 || view.Notice == "" {
		t.Fatalf("dispatcher read: %d %d points", st, len(view.Points))
	}
	other := "d130104"
	if raised.Center == "130104" {
		other = "d130102"
	}
	for _, u := range []string{other, "admin"} {
		if st := s.Call(t, "GET", "/api/v1/trips/linked?alarm_id="+raised.AlarmID, s.OfficerToken(t, u), nil, nil); st != 404 {
			t.Errorf("%s reads the linked trip: %d", u, st)
		}
	}
	// The read is in the audit log and in the traveller's access view.
	var log struct {
		Entries []struct{ Actor, Action, Object string }
	}
	if st := s.Call(t, "GET", "/api/v1/audit?action=trip.police.*", s.OfficerToken(t, "admin"), nil, &log); st != 200 || len(log.Entries) != 1 ||
		log.Entries[0].Actor != "officer:d"+raised.Center || log.Entries[0].Object != "trip:"+trip.ID {
		t.Fatalf("audit: %d %+v", st, log)
	}
	var acc struct {
		Accesses []struct {
			Officer string
			AlarmID string `json:"alarm_id"`
		}
	}
	if st := s.Call(t, "GET", "/api/v1/trips/access-log", tMe, nil, &acc); st != 200 || len(acc.Accesses) != 1 || acc.Accesses[0].AlarmID != raised.AlarmID {
		t.Fatalf("access log: %d %+v", st, acc)
	}
	// Bad input gets stable codes.
	var e struct{ Error struct{ Code string } }
	if st := s.Call(t, "POST", "/api/v1/trips/"+trip.ID+"/points", tMe, map[string]any{"points": []any{map[string]any{"seq": 0}}}, &e); st != 400 || e.Error.Code != "invalid_points" {
		t.Fatalf("bad point: %d %s", st, e.Error.Code)
	}
	if st := s.Call(t, "POST", "/api/v1/trips/tnosuch/media?kind=photo&client_id=x", tMe, nil, &e); st != 404 || e.Error.Code != "trip_not_found" {
		t.Fatalf("media without a trip: %d %s", st, e.Error.Code)
	}
	// The OpenAPI document lists the endpoints.
	var doc struct{ Paths map[string]any }
	s.Call(t, "GET", "/api/v1/openapi.json", "", nil, &doc)
	for _, p := range []string{"/api/v1/guardians", "/api/v1/trips/{id}/points", "/api/v1/trips/linked"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi lacks %s", p)
		}
	}
}
