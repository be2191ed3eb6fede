package alarm

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"open110/account"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/db"
)

// Percentiles of answer times in seconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
}

// Within is the share (0..1) of answered alarms answered within 10, 15 and
// 20 seconds (NFPA 1225: 90% in 10 s; NENA-STA-020.1: 90% in 15 s, 95% in 20 s).
type Within struct {
	S10 float64 `json:"10s"`
	S15 float64 `json:"15s"`
	S20 float64 `json:"20s"`
}

// AnswerStats summarises answer times.
type AnswerStats struct {
	Answered   int         `json:"answered"`
	AnswerTime Percentiles `json:"answer_time_s"`
	Within     Within      `json:"within"`
}

// DispatcherStats is one dispatcher's share of a centre's answers.
type DispatcherStats struct {
	Username string `json:"username"`
	AnswerStats
}

// CenterStats is a centre's queue and answer-time statistics in a window.
type CenterStats struct {
	Center         Center            `json:"center"`
	From           time.Time         `json:"from"`
	To             time.Time         `json:"to"`
	QueueLength    int               `json:"queue_length"`
	Raised         int               `json:"raised"`    // alarms first routed here in the window
	Abandoned      int               `json:"abandoned"` // of those, abandoned before an answer
	AbandonedShare float64           `json:"abandoned_share"`
	AnswerStats                      // alarms this centre answered first, raised in the window
	Dispatchers    []DispatcherStats `json:"dispatchers,omitempty"`
	Targets        map[string]string `json:"targets"`
}

func summarise(waits []float64) AnswerStats {
	st := AnswerStats{Answered: len(waits)}
	if len(waits) == 0 {
		return st
	}
	sort.Float64s(waits)
	// Nearest-rank percentiles: the value below which p% of answers fall.
	pct := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(waits)))) - 1
		if i < 0 {
			i = 0
		}
		return math.Round(waits[i]*1000) / 1000
	}
	st.AnswerTime = Percentiles{P50: pct(50), P90: pct(90), P95: pct(95)}
	share := func(limit float64) float64 {
		n := sort.Search(len(waits), func(i int) bool { return waits[i] > limit })
		return math.Round(float64(n)/float64(len(waits))*10000) / 10000
	}
	st.Within = Within{S10: share(10), S15: share(15), S20: share(20)}
	return st
}

// mayWatch reports whether p may read centre c's statistics: supervisors and
// admins for their area, dispatchers for their own centre.
func mayWatch(p account.Principal, c string) bool {
	switch {
	case p.IsOfficer(account.Supervisor, account.Admin):
		return within(p.Center, c)
	case p.IsOfficer(account.Dispatcher):
		return p.Center == c
	}
	return false
}

// Stats returns centre's statistics for alarms raised in [from, to).
// Errors: invalid_center, alarm_not_found-style 404 (not_found) when p may
// not watch that centre.
func (s *Service) Stats(ctx context.Context, p account.Principal, center string, from, to time.Time) (CenterStats, error) {
	if _, ok := geo.UnitByCode(center); !ok {
		return CenterStats{}, ErrInvalidCenter
	}
	if !mayWatch(p, center) {
		return CenterStats{}, apperr.ErrNotFound
	}
	st := CenterStats{Center: centerOf(center), From: from, To: to,
		Targets: map[string]string{"NENA-STA-020.1": "90% ≤ 15 s, 95% ≤ 20 s", "NFPA 1225": "90% ≤ 10 s"}}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM alarms a WHERE a.state = 'queued'
		AND EXISTS (SELECT 1 FROM alarm_offers o WHERE o.alarm_id = a.id AND o.center = $1 AND o.active = 1)`, center).Scan(&st.QueueLength); err != nil {
		return st, fmt.Errorf("alarm: stats queue: %w", err)
	}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(was_abandoned), 0) FROM alarms WHERE home_center = $1 AND raised_at >= $2 AND raised_at < $3`,
		center, db.Micros(from), db.Micros(to)).Scan(&st.Raised, &st.Abandoned); err != nil {
		return st, fmt.Errorf("alarm: stats raised: %w", err)
	}
	if st.Raised > 0 {
		st.AbandonedShare = math.Round(float64(st.Abandoned)/float64(st.Raised)*10000) / 10000
	}
	rs, err := s.db.Query(ctx, `SELECT first_answered_by, first_answered_at - raised_at FROM alarms
		WHERE first_center = $1 AND first_answered_at > 0 AND raised_at >= $2 AND raised_at < $3`, center, db.Micros(from), db.Micros(to))
	if err != nil {
		return st, fmt.Errorf("alarm: stats answers: %w", err)
	}
	defer rs.Close()
	var all []float64
	per := map[string][]float64{}
	for rs.Next() {
		var who string
		var us int64
		if err := rs.Scan(&who, &us); err != nil {
			return st, fmt.Errorf("alarm: stats scan: %w", err)
		}
		w := float64(us) / 1e6
		all = append(all, w)
		per[who] = append(per[who], w)
	}
	if err := rs.Err(); err != nil {
		return st, err
	}
	st.AnswerStats = summarise(all)
	for who, ws := range per {
		st.Dispatchers = append(st.Dispatchers, DispatcherStats{Username: who, AnswerStats: summarise(ws)})
	}
	sort.Slice(st.Dispatchers, func(i, j int) bool { return st.Dispatchers[i].Username < st.Dispatchers[j].Username })
	return st, nil
}

// CentersStats returns Stats (without per-dispatcher detail) for every
// centre in p's area that had alarms in the window or has a queue now.
func (s *Service) CentersStats(ctx context.Context, p account.Principal, from, to time.Time) ([]CenterStats, error) {
	if !p.IsOfficer(account.Supervisor, account.Admin) {
		return nil, errForbidden.Msg("statistics across centres are for supervisors")
	}
	rs, err := s.db.Query(ctx, `SELECT DISTINCT c FROM (
		SELECT home_center AS c FROM alarms WHERE raised_at >= $1 AND raised_at < $2
		UNION SELECT first_center AS c FROM alarms WHERE raised_at >= $1 AND raised_at < $2 AND first_center <> ''
		UNION SELECT o.center AS c FROM alarm_offers o JOIN alarms a ON a.id = o.alarm_id WHERE a.state = 'queued' AND o.active = 1) t`,
		db.Micros(from), db.Micros(to))
	if err != nil {
		return nil, fmt.Errorf("alarm: stats centres: %w", err)
	}
	var codes []string
	for rs.Next() {
		var c string
		if err := rs.Scan(&c); err != nil {
			rs.Close()
			return nil, err
		}
		if within(p.Center, c) {
			codes = append(codes, c)
		}
	}
	rs.Close()
	sort.Strings(codes)
	out := []CenterStats{}
	for _, c := range codes {
		st, err := s.Stats(ctx, p, c, from, to)
		if err != nil {
			return nil, err
		}
		st.Dispatchers = nil
		out = append(out, st)
	}
	return out, nil
}

// metrics are the Prometheus series. Counters count on this node; the queue
// gauge reads the database at scrape time so it is right across nodes.
type metrics struct {
	raisedC    *prometheus.CounterVec
	answeredC  *prometheus.CounterVec
	answerH    *prometheus.HistogramVec
	abandonedC *prometheus.CounterVec
	overflowC  *prometheus.CounterVec
	endedC     *prometheus.CounterVec
}

func newMetrics(s *Service, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		raisedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "open110_alarms_raised_total",
			Help: "Alarms raised, by routed centre and kind."}, []string{"center", "kind"}),
		answeredC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "open110_alarms_answered_total",
			Help: "Alarms answered for the first time, by answering centre."}, []string{"center"}),
		answerH: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "open110_alarm_answer_seconds",
			Help:    "Time from raise to first answer, by answering centre (NENA: 90% ≤ 15 s, 95% ≤ 20 s).",
			Buckets: []float64{2, 5, 10, 15, 20, 30, 60, 120, 300}}, []string{"center"}),
		abandonedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "open110_alarms_abandoned_total",
			Help: "Alarms abandoned before an answer, by centre."}, []string{"center"}),
		overflowC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "open110_alarms_overflowed_total",
			Help: "Overflow steps (offers to the next centre up), by owning centre."}, []string{"center"}),
		endedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "open110_alarms_ended_total",
			Help: "Alarms closed or cancelled, by centre and final state."}, []string{"center", "state"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.raisedC, m.answeredC, m.answerH, m.abandonedC, m.overflowC, m.endedC, &queueCollector{s: s}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("alarm: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) raised(r *row) { m.raisedC.WithLabelValues(r.Center.Code, string(r.Kind)).Inc() }
func (m *metrics) answered(r *row, wait time.Duration) {
	m.answeredC.WithLabelValues(r.Center.Code).Inc()
	m.answerH.WithLabelValues(r.Center.Code).Observe(wait.Seconds())
}
func (m *metrics) abandoned(r *row)  { m.abandonedC.WithLabelValues(r.Center.Code).Inc() }
func (m *metrics) overflowed(r *row) { m.overflowC.WithLabelValues(r.Center.Code).Inc() }
func (m *metrics) ended(r *row)      { m.endedC.WithLabelValues(r.Center.Code, string(r.State)).Inc() }

// queueCollector reports the queue length per centre from the database.
type queueCollector struct{ s *Service }

var queueDesc = prometheus.NewDesc("open110_alarm_queue_length", "Alarms waiting for an answer that each centre may answer.", []string{"center"}, nil)
var oldestDesc = prometheus.NewDesc("open110_alarm_queue_oldest_seconds", "Waiting time of each centre's oldest queued alarm.", []string{"center"}, nil)

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc; ch <- oldestDesc }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rs, err := q.s.db.Query(ctx, `SELECT o.center, COUNT(*), MIN(a.raised_at) FROM alarms a JOIN alarm_offers o ON o.alarm_id = a.id
		WHERE a.state = 'queued' AND o.active = 1 GROUP BY o.center`)
	if err != nil {
		q.s.log.Warn("alarm: queue metric", "err", err)
		return
	}
	defer rs.Close()
	now := q.s.now()
	for rs.Next() {
		var c string
		var n int
		var oldest int64
		if err := rs.Scan(&c, &n, &oldest); err != nil {
			return
		}
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), c)
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, now.Sub(db.Time(oldest)).Seconds(), c)
	}
}
