package alarm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"open110/account"
	"open110/platform/db"
)

// callerEvents are the event types a caller's feed carries; staff-only
// detail (transfer notes, incident, call-backs, suspicion) stays out.
var callerEvents = map[string]bool{
	"raised": true, "answered": true, "message": true, "message_status": true, "receipt": true,
	"closed": true, "cancelled": true, "abandoned": true, "returned": true, "requeued": true,
	"transferred": true, "overflow": true, "position": true, "location_accepted": true,
}

// Events returns up to limit events after cursor that p may see: for a
// caller, the events of their alarm (alarmID required); for an officer, the
// events of every alarm their centre(s) see while they see it (alarmID ""),
// or of one alarm. Events come in seq order without gaps in what p may see.
// Errors: alarm_not_found, invalid_cursor.
func (s *Service) Events(ctx context.Context, p account.Principal, alarmID string, cursor int64, limit int) ([]Event, error) {
	if cursor < 0 {
		return nil, ErrInvalidCursor
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where = append(where, "e.seq > "+arg(cursor))
	caller := false
	if alarmID != "" {
		a, err := s.Get(ctx, p, alarmID)
		if err != nil {
			return nil, err
		}
		_ = a
		where = append(where, "e.alarm_id = "+arg(alarmID))
		caller = p.IsCitizen()
		if caller {
			where = append(where, "e.staff = 0")
		}
	} else {
		if !p.IsOfficer(account.Dispatcher, account.Supervisor, account.Admin) {
			return nil, errForbidden.Msg("the alarm feed is for officers; callers follow their own alarm")
		}
		centers := s.centersOf(p)
		if centers != nil {
			if len(centers) == 0 {
				return []Event{}, nil
			}
			ph := make([]string, len(centers))
			for i, c := range centers {
				ph[i] = arg(c)
			}
			where = append(where, `EXISTS (SELECT 1 FROM alarm_offers o WHERE o.alarm_id = e.alarm_id AND o.center IN (`+
				strings.Join(ph, ", ")+`) AND e.seq >= o.from_seq AND (o.until_seq = 0 OR e.seq <= o.until_seq))`)
		}
	}
	q := "SELECT e.seq, e.alarm_id, e.type, e.at, e.actor, e.reason, e.staff, e.data FROM alarm_events e WHERE " +
		strings.Join(where, " AND ") + " ORDER BY e.seq LIMIT " + arg(limit)
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alarm: events: %w", err)
	}
	defer rs.Close()
	out := []Event{}
	for rs.Next() {
		var e Event
		var at int64
		var staff int
		var data string
		if err := rs.Scan(&e.Seq, &e.AlarmID, &e.Type, &at, &e.Actor, &e.Reason, &staff, &data); err != nil {
			return nil, fmt.Errorf("alarm: scan event: %w", err)
		}
		e.At, e.Staff = db.Time(at), staff != 0
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(data), &raw); err != nil {
			return nil, fmt.Errorf("alarm: event %d: %w", e.Seq, err)
		}
		for k, v := range raw {
			if k == "alarm" {
				if err := json.Unmarshal(v, &e.Alarm); err != nil {
					return nil, fmt.Errorf("alarm: event %d: %w", e.Seq, err)
				}
				continue
			}
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				return nil, fmt.Errorf("alarm: event %d: %w", e.Seq, err)
			}
			if e.Data == nil {
				e.Data = map[string]any{}
			}
			e.Data[k] = x
		}
		if e.Alarm != nil {
			e.Alarm.Cursor = e.Seq
		}
		if caller {
			if !callerEvents[e.Type] {
				continue
			}
			e = eventForCaller(e)
		}
		out = append(out, e)
	}
	return out, rs.Err()
}

// eventForCaller strips officer-only detail from an event.
func eventForCaller(e Event) Event {
	if e.Alarm != nil {
		a := forCaller(*e.Alarm)
		e.Alarm = &a
	}
	if strings.HasPrefix(e.Actor, "officer:") {
		e.Actor = "dispatcher"
	}
	delete(e.Data, "note")
	delete(e.Data, "previous_dispatcher")
	if m, ok := e.Data["message"].(map[string]any); ok && m["from"] != string(FromCaller) {
		delete(m, "sender")
	}
	if e.Type == "transferred" || e.Type == "requeued" {
		e.Reason = ""
	}
	return e
}

// Head returns the newest event seq: a snapshot read after Head is at
// least as new as Head, so a feed may start from it without gaps.
func (s *Service) Head(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM alarm_events").Scan(&seq); err != nil {
		return 0, fmt.Errorf("alarm: head: %w", err)
	}
	return seq, nil
}

// Snapshot is the console's starting point: the cursor to follow from and
// the alarms that are live (queued or answered) at the officer's centres.
type Snapshot struct {
	Cursor int64   `json:"cursor"`
	Alarms []Alarm `json:"alarms"`
}

// Snapshot returns the live alarms p sees with the cursor to resume from.
// Errors: forbidden for non-officers.
func (s *Service) Snapshot(ctx context.Context, p account.Principal) (Snapshot, error) {
	head, err := s.Head(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	q, err := s.List(ctx, p, Filter{State: Queued, Limit: 500})
	if err != nil {
		return Snapshot{}, err
	}
	a, err := s.List(ctx, p, Filter{State: Answered, Limit: 500})
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Cursor: head, Alarms: append(q, a...)}, nil
}
