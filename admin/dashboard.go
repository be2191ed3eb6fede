package admin

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"open110/account"
	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
)

// AlarmRecord is what the dashboard needs of one alarm.
type AlarmRecord struct {
	ID         string
	Kind       string
	State      string
	Center     string    // centre that has it now
	RaisedAt   time.Time // UTC
	AnsweredAt time.Time // first answer; zero when never answered
	EndedAt    time.Time // zero while open
	AnsweredBy string    // officer username
	Abandoned  bool      // the caller was gone before an answer
	HasPos     bool
	Lat, Lng   float64 // WGS-84
}

// AlarmSource lists the alarms raised in [from, to) that p may watch
// (supervisors: their area). The wiring adapts the alarm feature to it.
type AlarmSource interface {
	DashboardAlarms(ctx context.Context, p account.Principal, from, to time.Time) ([]AlarmRecord, error)
}

// Answer-time bucket edges in seconds; 15 and 20 are NENA-STA-020.1's lines
// (90% ≤ 15 s, 95% ≤ 20 s), 10 is NFPA 1225's.
var bucketEdges = []float64{5, 10, 15, 20, 30, 60, 120}

// Dashboard is a supervisor's picture of one day (Asia/Shanghai) for a
// centre's area.
type Dashboard struct {
	Center   string    `json:"center"`
	Date     string    `json:"date"` // YYYY-MM-DD, Beijing time
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Raised   int       `json:"raised"`
	Answered int       `json:"answered"`

	AnswerTimes struct {
		Buckets []Bucket `json:"buckets"` // count of answers per wait range
		P50     float64  `json:"p50_s"`
		P90     float64  `json:"p90_s"`
		P95     float64  `json:"p95_s"`
		Within  struct {
			S10 float64 `json:"10s"`
			S15 float64 `json:"15s"`
			S20 float64 `json:"20s"`
		} `json:"within"`
		Targets map[string]string `json:"targets"`
	} `json:"answer_times"`
	PerHour     []HourRow       `json:"per_hour"`    // 24 rows, Beijing hours
	Queue       []QueuePoint    `json:"queue"`       // queue length every 10 minutes
	Abandoned   AbandonedShare  `json:"abandoned"`   // of the day's alarms
	Dispatchers []DispatcherRow `json:"dispatchers"` // load per dispatcher
	Places      []PlaceRow      `json:"places"`      // alarms per county-level unit
	Points      []Point         `json:"points"`      // each alarm's position (for the map)
	Units       []string        `json:"units"`       // county-level units of the area (outlines to draw)
}

// Bucket counts answers with wait in [From, To) seconds (To 0: no bound).
type Bucket struct {
	From  float64 `json:"from_s"`
	To    float64 `json:"to_s"`
	Count int     `json:"count"`
}

// HourRow is one Beijing hour.
type HourRow struct {
	Hour      int `json:"hour"`
	Raised    int `json:"raised"`
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
}

// QueuePoint is the number of alarms waiting for an answer at At.
type QueuePoint struct {
	At     time.Time `json:"at"`
	Length int       `json:"length"`
}

// AbandonedShare is the share of alarms abandoned before an answer.
type AbandonedShare struct {
	Raised    int     `json:"raised"`
	Abandoned int     `json:"abandoned"`
	Cancelled int     `json:"cancelled"`
	Share     float64 `json:"share"`
}

// DispatcherRow is one dispatcher's load.
type DispatcherRow struct {
	Username string  `json:"username"`
	Answered int     `json:"answered"`
	P50      float64 `json:"p50_s"`
	Busy     float64 `json:"busy_min"` // minutes between answer and end
}

// PlaceRow counts alarms per county-level unit.
type PlaceRow struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Point is one alarm's position.
type Point struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	State string  `json:"state"`
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

var errNoAlarms = apperr.New(apperr.Unavailable, "feature_unavailable", "alarm statistics are not available on this node")

// BuildDashboard computes the day's picture from the alarm records; now
// bounds the queue series (nothing is drawn in the future).
func BuildDashboard(center, date string, from, to, now time.Time, recs []AlarmRecord, locate func(lat, lng float64) (geo.Unit, bool)) Dashboard {
	d := Dashboard{Center: center, Date: date, From: from, To: to, Raised: len(recs)}
	d.AnswerTimes.Targets = map[string]string{"NENA-STA-020.1": "90% ≤ 15 s, 95% ≤ 20 s", "NFPA 1225": "90% ≤ 10 s"}
	prev := 0.0
	for _, e := range bucketEdges {
		d.AnswerTimes.Buckets = append(d.AnswerTimes.Buckets, Bucket{From: prev, To: e})
		prev = e
	}
	d.AnswerTimes.Buckets = append(d.AnswerTimes.Buckets, Bucket{From: prev})
	d.PerHour = make([]HourRow, 24)
	for i := range d.PerHour {
		d.PerHour[i].Hour = i
	}
	var waits []float64
	per := map[string]*DispatcherRow{}
	perWaits := map[string][]float64{}
	places := map[string]*PlaceRow{}
	for _, a := range recs {
		h := a.RaisedAt.In(shanghai).Hour()
		d.PerHour[h].Raised++
		if a.Abandoned {
			d.PerHour[h].Abandoned++
			d.Abandoned.Abandoned++
		}
		if a.State == "cancelled" {
			d.Abandoned.Cancelled++
		}
		if !a.AnsweredAt.IsZero() {
			w := a.AnsweredAt.Sub(a.RaisedAt).Seconds()
			if w < 0 {
				w = 0
			}
			waits = append(waits, w)
			d.PerHour[h].Answered++
			i := sort.SearchFloat64s(bucketEdges, w)
			if i < len(bucketEdges) && bucketEdges[i] == w {
				i++ // a wait of exactly 15 s belongs to [15, 20)
			}
			d.AnswerTimes.Buckets[i].Count++
			if a.AnsweredBy != "" {
				r := per[a.AnsweredBy]
				if r == nil {
					r = &DispatcherRow{Username: a.AnsweredBy}
					per[a.AnsweredBy] = r
				}
				r.Answered++
				perWaits[a.AnsweredBy] = append(perWaits[a.AnsweredBy], w)
				end := a.EndedAt
				if end.IsZero() {
					end = now
				}
				if end.After(a.AnsweredAt) {
					r.Busy += end.Sub(a.AnsweredAt).Minutes()
				}
			}
		}
		if a.HasPos {
			d.Points = append(d.Points, Point{Lat: round(a.Lat, 5), Lng: round(a.Lng, 5), State: a.State})
			if locate != nil {
				if u, ok := locate(a.Lat, a.Lng); ok {
					pr := places[u.Code]
					if pr == nil {
						pr = &PlaceRow{Code: u.Code, Name: u.Name}
						places[u.Code] = pr
					}
					pr.Count++
				}
			}
		}
	}
	d.Answered = len(waits)
	sort.Float64s(waits)
	d.AnswerTimes.P50, d.AnswerTimes.P90, d.AnswerTimes.P95 = pct(waits, 50), pct(waits, 90), pct(waits, 95)
	d.AnswerTimes.Within.S10, d.AnswerTimes.Within.S15, d.AnswerTimes.Within.S20 = share(waits, 10), share(waits, 15), share(waits, 20)
	d.Abandoned.Raised = len(recs)
	if len(recs) > 0 {
		d.Abandoned.Share = round(float64(d.Abandoned.Abandoned)/float64(len(recs)), 4)
	}
	d.Dispatchers = []DispatcherRow{}
	for u, r := range per {
		ws := perWaits[u]
		sort.Float64s(ws)
		r.P50 = pct(ws, 50)
		r.Busy = round(r.Busy, 1)
		d.Dispatchers = append(d.Dispatchers, *r)
	}
	sort.Slice(d.Dispatchers, func(i, j int) bool {
		if d.Dispatchers[i].Answered != d.Dispatchers[j].Answered {
			return d.Dispatchers[i].Answered > d.Dispatchers[j].Answered
		}
		return d.Dispatchers[i].Username < d.Dispatchers[j].Username
	})
	d.Places = []PlaceRow{}
	for _, p := range places {
		d.Places = append(d.Places, *p)
	}
	sort.Slice(d.Places, func(i, j int) bool { return d.Places[i].Code < d.Places[j].Code })
	if d.Points == nil {
		d.Points = []Point{}
	}
	// Queue length every 10 minutes: raised, not yet answered, not yet ended.
	end := to
	if now.Before(end) {
		end = now
	}
	d.Queue = []QueuePoint{}
	var times []time.Time
	for t := from; !t.After(end); t = t.Add(10 * time.Minute) {
		times = append(times, t)
	}
	if len(times) > 0 && end.After(times[len(times)-1]) && end.Before(to) {
		times = append(times, end) // the queue now
	}
	for _, t := range times {
		n := 0
		for _, a := range recs {
			if a.RaisedAt.After(t) {
				continue
			}
			if !a.AnsweredAt.IsZero() && !a.AnsweredAt.After(t) {
				continue
			}
			if !a.EndedAt.IsZero() && !a.EndedAt.After(t) {
				continue
			}
			if a.Abandoned && a.AnsweredAt.IsZero() && a.EndedAt.IsZero() && a.State != "queued" {
				continue // abandoned without an end time: no longer waiting
			}
			n++
		}
		d.Queue = append(d.Queue, QueuePoint{At: t.UTC(), Length: n})
	}
	return d
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return round(sorted[max(i, 0)], 3)
}

func share(sorted []float64, limit float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	n := sort.Search(len(sorted), func(i int) bool { return sorted[i] > limit })
	return round(float64(n)/float64(len(sorted)), 4)
}

func round(v float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(v*f) / f
}

// dayWindow reads ?date= (Beijing date, default today) into [from, to).
func (s *Service) dayWindow(r *http.Request) (string, time.Time, time.Time, error) {
	date := r.URL.Query().Get("date")
	now := s.Now().In(shanghai)
	if date == "" {
		date = now.Format("2006-01-02")
	}
	day, err := time.ParseInLocation("2006-01-02", date, shanghai)
	if err != nil {
		return "", time.Time{}, time.Time{}, apperr.New(apperr.Invalid, "invalid_date", "date must be YYYY-MM-DD").With("field", "date")
	}
	return date, day.UTC(), day.AddDate(0, 0, 1).UTC(), nil
}

func (s *Service) dashboard(r *http.Request) (Dashboard, error) {
	p, err := requireWatcher(r)
	if err != nil {
		return Dashboard{}, err
	}
	if s.Alarms == nil {
		return Dashboard{}, errNoAlarms
	}
	center := r.URL.Query().Get("center")
	if center == "" {
		center = p.Center
	}
	if _, ok := geo.UnitByCode(center); !ok {
		return Dashboard{}, apperr.New(apperr.Invalid, "invalid_center", "no such centre").With("field", "center")
	}
	if !inArea(p.Center, center) {
		return Dashboard{}, errOutsideArea
	}
	date, from, to, err := s.dayWindow(r)
	if err != nil {
		return Dashboard{}, err
	}
	all, err := s.Alarms.DashboardAlarms(r.Context(), p, from, to)
	if err != nil {
		return Dashboard{}, err
	}
	recs := all[:0:0]
	for _, a := range all {
		if inArea(center, a.Center) {
			recs = append(recs, a)
		}
	}
	var locate func(lat, lng float64) (geo.Unit, bool)
	if s.Locator != nil {
		locate = func(lat, lng float64) (geo.Unit, bool) {
			rt, err := s.Locator.Route(lat, lng)
			if err != nil {
				return geo.Unit{}, false
			}
			return rt.County, true
		}
	}
	d := BuildDashboard(center, date, from, to, s.Now(), recs, locate)
	d.Units = areaUnits(center)
	return d, nil
}

// areaUnits lists the county-level units whose outlines make the area's map.
func areaUnits(center string) []string {
	out := []string{}
	for _, u := range geo.Units() {
		if u.Level == geo.LevelCounty && inArea(center, u.Code) {
			out = append(out, u.Code)
		}
	}
	if len(out) == 0 {
		out = append(out, center)
	}
	return out
}

func (s *Service) handleDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboard(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, d)
}

// Charts lists the dashboard's CSV downloads.
var Charts = []string{"answer_times", "per_hour", "queue", "abandoned", "dispatchers", "places"}

// handleDashboardCSV serves one chart's data as CSV: /api/v1/dashboard/per_hour.csv.
func (s *Service) handleDashboardCSV(w http.ResponseWriter, r *http.Request) {
	chart, ok := strings.CutSuffix(r.PathValue("chart"), ".csv")
	if !ok {
		api.NotFound(w, r)
		return
	}
	d, err := s.dashboard(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var rows [][]string
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	i := strconv.Itoa
	switch chart {
	case "answer_times":
		rows = append(rows, []string{"from_s", "to_s", "answered"})
		for _, b := range d.AnswerTimes.Buckets {
			to := ""
			if b.To > 0 {
				to = f(b.To)
			}
			rows = append(rows, []string{f(b.From), to, i(b.Count)})
		}
	case "per_hour":
		rows = append(rows, []string{"hour_beijing", "raised", "answered", "abandoned"})
		for _, h := range d.PerHour {
			rows = append(rows, []string{fmt.Sprintf("%02d:00", h.Hour), i(h.Raised), i(h.Answered), i(h.Abandoned)})
		}
	case "queue":
		rows = append(rows, []string{"at", "queue_length"})
		for _, q := range d.Queue {
			rows = append(rows, []string{q.At.Format(time.RFC3339), i(q.Length)})
		}
	case "abandoned":
		rows = append(rows, []string{"raised", "abandoned", "cancelled", "abandoned_share"})
		rows = append(rows, []string{i(d.Abandoned.Raised), i(d.Abandoned.Abandoned), i(d.Abandoned.Cancelled), f(d.Abandoned.Share)})
	case "dispatchers":
		rows = append(rows, []string{"username", "answered", "p50_s", "busy_min"})
		for _, x := range d.Dispatchers {
			rows = append(rows, []string{x.Username, i(x.Answered), f(x.P50), f(x.Busy)})
		}
	case "places":
		rows = append(rows, []string{"code", "name", "alarms"})
		for _, x := range d.Places {
			rows = append(rows, []string{x.Code, x.Name, i(x.Count)})
		}
	default:
		fail(w, r, apperr.ErrNotFound.Msg("no such chart; one of %s", strings.Join(Charts, ", ")))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, chart, d.Center, d.Date))
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.WriteAll(rows)
}
