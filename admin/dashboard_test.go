package admin

import (
	"testing"
	"time"

	"open110/geo"
)

func TestInArea(t *testing.T) {
	for _, c := range []struct {
		home, code string
		want       bool
	}{
		{"130000", "130102", true}, {"130000", "130100", true},
		{"130100", "130102", true}, {"130100", "130100", true}, {"130100", "130203", false},
		{"130102", "130102", true}, {"130102", "130104", false}, {"130102", "130100", false},
	} {
		if got := inArea(c.home, c.code); got != c.want {
			t.Errorf("inArea(%s, %s) = %v", c.home, c.code, got)
		}
	}
}

func TestBuildDashboard(t *testing.T) {
	from := time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC) // 00:00 Beijing
	to := from.Add(24 * time.Hour)
	at := func(h, m, s int) time.Time {
		return from.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	recs := []AlarmRecord{
		{State: "closed", Center: "130102", RaisedAt: at(8, 0, 0), AnsweredAt: at(8, 0, 4), EndedAt: at(8, 10, 4), AnsweredBy: "d1", HasPos: true, Lat: 38.04, Lng: 114.51},
		{State: "closed", Center: "130102", RaisedAt: at(8, 30, 0), AnsweredAt: at(8, 30, 15), EndedAt: at(8, 35, 15), AnsweredBy: "d1"},
		{State: "answered", Center: "130102", RaisedAt: at(9, 5, 0), AnsweredAt: at(9, 5, 25), AnsweredBy: "d2"},
		{State: "abandoned", Center: "130102", RaisedAt: at(9, 5, 0), EndedAt: at(9, 6, 0), Abandoned: true},
		{State: "queued", Center: "130102", RaisedAt: at(9, 55, 0)},
	}
	now := at(10, 5, 0)
	locate := func(lat, lng float64) (geo.Unit, bool) { return geo.Unit{Code: "130102", Name: "长安区"}, true }
	d := BuildDashboard("130100", "2026-11-27", from, to, now, recs, locate)
	if d.Raised != 5 || d.Answered != 3 {
		t.Fatalf("raised %d answered %d", d.Raised, d.Answered)
	}
	// 4 s → [0,5); 15 s → [15,20) (a wait of exactly 15 s meets the line); 25 s → [20,30).
	want := map[float64]int{0: 1, 15: 1, 20: 1}
	for _, b := range d.AnswerTimes.Buckets {
		if b.Count != want[b.From] {
			t.Errorf("bucket from %v: %d, want %d", b.From, b.Count, want[b.From])
		}
	}
	if w := d.AnswerTimes.Within; w.S15 != 0.6667 || w.S20 != 0.6667 || w.S10 != 0.3333 {
		t.Errorf("within %+v", w)
	}
	if d.PerHour[8].Raised != 2 || d.PerHour[9].Raised != 3 || d.PerHour[9].Abandoned != 1 {
		t.Errorf("per hour: %+v %+v", d.PerHour[8], d.PerHour[9])
	}
	if d.Abandoned.Share != 0.2 {
		t.Errorf("abandoned share %v", d.Abandoned.Share)
	}
	if len(d.Dispatchers) != 2 || d.Dispatchers[0].Username != "d1" || d.Dispatchers[0].Answered != 2 || d.Dispatchers[0].Busy != 15 {
		t.Errorf("dispatchers %+v", d.Dispatchers)
	}
	q := map[string]int{}
	for _, p := range d.Queue {
		q[p.At.In(shanghai).Format("15:04")] = p.Length
	}
	// 08:00 sample: raised at 08:00:00, answered 4 s later → waiting at 08:00.
	if q["08:00"] != 1 || q["08:10"] != 0 || q["10:00"] != 1 || q["10:05"] != 1 {
		t.Errorf("queue %v", q)
	}
	if last := d.Queue[len(d.Queue)-1]; !last.At.Equal(now) {
		t.Errorf("last queue point %v, want now", last.At)
	}
	if len(d.Places) != 1 || d.Places[0].Count != 1 || len(d.Points) != 1 {
		t.Errorf("places %+v points %+v", d.Places, d.Points)
	}
}
