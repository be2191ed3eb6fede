package alarm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"open110/account"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/ids"
)

// Record is an alarm with the figures statistics need beyond what the API
// shows: the first answer (a release and re-answer moves AnsweredAt, not
// these) and whether the caller was ever gone before an answer.
type Record struct {
	Alarm
	FirstAnsweredAt *time.Time `json:"first_answered_at,omitempty"`
	FirstAnsweredBy string     `json:"first_answered_by,omitempty"`
	FirstCenter     string     `json:"first_center,omitempty"` // the centre that answered first
	WasAbandoned    bool       `json:"was_abandoned"`
}

// MaxWindowPage bounds one page of ListWindow.
const MaxWindowPage = 1000

// ErrInvalidWindow: to is not after from, or the cursor is not one
// ListWindow returned.
var ErrInvalidWindow = apperr.New(apperr.Invalid, "invalid_window", "the time window or page cursor is invalid")

// ListWindow returns the alarms p may see that were raised in [from, to),
// oldest first, one page of at most limit (default and maximum
// MaxWindowPage). cursor is "" for the first page, then the next value it
// returned; next is "" after the last page. Visibility is List's: citizens
// their own, dispatchers their centre's (including offered and
// transferred-away ones), supervisors and admins their area. Errors:
// invalid_window, forbidden (a role that may not list alarms).
func (s *Service) ListWindow(ctx context.Context, p account.Principal, from, to time.Time, cursor string, limit int) (recs []Record, next string, err error) {
	if !to.After(from) {
		return nil, "", ErrInvalidWindow
	}
	if limit <= 0 || limit > MaxWindowPage {
		limit = MaxWindowPage
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where, none, err := s.visibleWhere(p, false, arg)
	if err != nil {
		return nil, "", err
	}
	if none {
		return []Record{}, "", nil
	}
	where = append(where, "raised_at >= "+arg(db.Micros(from)), "raised_at < "+arg(db.Micros(to)))
	if cursor != "" {
		at, id, ok := parseWindowCursor(cursor)
		if !ok {
			return nil, "", ErrInvalidWindow
		}
		a, i := arg(at), arg(id)
		where = append(where, "(raised_at > "+a+" OR (raised_at = "+a+" AND id > "+i+"))")
	}
	q := "SELECT " + alarmCols + ", first_answered_by, first_center, was_abandoned FROM alarms WHERE " +
		strings.Join(where, " AND ") + " ORDER BY raised_at, id LIMIT " + arg(limit+1)
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("alarm: window: %w", err)
	}
	type extra struct {
		by, center string
		abandoned  int
	}
	var rows []*row
	var extras []extra
	for rs.Next() {
		var x extra
		r, err := scanAlarm(withExtra{rs, []any{&x.by, &x.center, &x.abandoned}})
		if err != nil {
			rs.Close()
			return nil, "", fmt.Errorf("alarm: window scan: %w", err)
		}
		rows, extras = append(rows, r), append(extras, x)
	}
	if err := rs.Err(); err != nil {
		rs.Close()
		return nil, "", fmt.Errorf("alarm: window: %w", err)
	}
	rs.Close()
	if len(rows) > limit {
		rows, extras = rows[:limit], extras[:limit]
		last := rows[limit-1]
		next = strconv.FormatInt(db.Micros(last.RaisedAt), 10) + ":" + last.ID
	}
	if err := loadOffers(ctx, s.db, rows); err != nil {
		return nil, "", err
	}
	recs = make([]Record, 0, len(rows))
	for i, r := range rows {
		rec := Record{Alarm: s.present(p, r), WasAbandoned: extras[i].abandoned != 0}
		if !p.IsCitizen() {
			rec.FirstAnsweredBy, rec.FirstCenter = extras[i].by, extras[i].center
		}
		if r.FirstAnsweredAt != 0 {
			t := db.Time(r.FirstAnsweredAt)
			rec.FirstAnsweredAt = &t
		}
		recs = append(recs, rec)
	}
	return recs, next, nil
}

func parseWindowCursor(c string) (int64, string, bool) {
	at, id, ok := strings.Cut(c, ":")
	if !ok || !ids.Valid(id) {
		return 0, "", false
	}
	n, err := strconv.ParseInt(at, 10, 64)
	return n, id, err == nil
}

// withExtra scans the alarm columns and then extra ones.
type withExtra struct {
	sc    scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }
