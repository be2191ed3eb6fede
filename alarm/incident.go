package alarm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/ids"
)

// Categories of the incident record (警情类别).
var Categories = []string{"刑事", "治安", "交通", "火灾", "求助", "纠纷", "其他"}

// CallbackOutcomes are the recorded results of calling an abandoned caller back.
var CallbackOutcomes = []string{"reached", "no_answer", "busy", "unreachable", "wrong_number", "voicemail", "refused"}

// IncidentInput is what a dispatcher records (CAD-lite).
type IncidentInput struct {
	Category string `json:"category"` // one of Categories, or "" while unknown
	Priority int    `json:"priority"` // 1 (highest) … 4; 0 unset
	Address  string `json:"address"`
	Notes    string `json:"notes"`
}

// Unit is a police unit dispatched to the incident.
type Unit struct {
	ID           string     `json:"id"`
	Unit         string     `json:"unit"` // call sign or name, e.g. "长安巡警一组"
	Note         string     `json:"note,omitempty"`
	DispatchedAt time.Time  `json:"dispatched_at"`
	ArrivedAt    *time.Time `json:"arrived_at,omitempty"`
	ClearedAt    *time.Time `json:"cleared_at,omitempty"`
	DispatchedBy string     `json:"dispatched_by"`
}

// Callback is one attempt to call back an abandoned caller.
type Callback struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Officer string    `json:"officer"`
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`
}

// Incident is the alarm's record.
type Incident struct {
	AlarmID string `json:"alarm_id"`
	IncidentInput
	Disposition string     `json:"disposition,omitempty"`
	Units       []Unit     `json:"units"`
	Callbacks   []Callback `json:"callbacks"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

func (in *IncidentInput) validate() error {
	in.Address, in.Notes = trimText(in.Address), trimText(in.Notes)
	if in.Category != "" && !slices.Contains(Categories, in.Category) {
		return apperr.Invalidf("invalid_category", "category must be one of 刑事 治安 交通 火灾 求助 纠纷 其他")
	}
	if in.Priority < 0 || in.Priority > 4 {
		return apperr.Invalidf("invalid_priority", "priority must be 1 (highest) to 4, or 0 when unset")
	}
	if utf8.RuneCountInString(in.Address) > 500 {
		return apperr.Invalidf("invalid_address", "address is longer than 500 characters")
	}
	if utf8.RuneCountInString(in.Notes) > 10000 {
		return apperr.Invalidf("invalid_notes", "notes are longer than 10000 characters")
	}
	return nil
}

// officerMay checks that an officer may work on the alarm's record.
func (s *Service) officerMay(p account.Principal, r *row, a Action) error {
	if err := Authorize(p, s.roleOf(p, r), r.view(), a); err != nil {
		return err
	}
	_, err := Next(r.State, a)
	return err
}

// SaveIncident replaces the incident record's fields. Errors:
// invalid_category, invalid_priority, invalid_address, invalid_notes,
// alarm_not_found, not_your_alarm, invalid_transition.
func (s *Service) SaveIncident(ctx context.Context, p account.Principal, id string, in IncidentInput) (Incident, error) {
	if err := in.validate(); err != nil {
		return Incident{}, err
	}
	if !ids.Valid(id) {
		return Incident{}, ErrNotFound
	}
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.officerMay(p, r, ActIncident); err != nil {
			return err
		}
		now := db.Micros(s.now())
		_, err := w.Exec(ctx, `INSERT INTO alarm_incidents (alarm_id, category, priority, address, notes, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (alarm_id) DO UPDATE SET category = excluded.category, priority = excluded.priority,
			address = excluded.address, notes = excluded.notes, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			id, in.Category, in.Priority, in.Address, in.Notes, now, p.Username)
		if err != nil {
			return fmt.Errorf("alarm: save incident: %w", err)
		}
		_, err = w.event(ctx, r, "incident", p.Actor(), "", true, map[string]any{"incident": in})
		return err
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Incident(ctx, p, id)
}

// Incident returns the alarm's record (empty fields before anyone wrote
// one). Callers may not read it. Errors: alarm_not_found.
func (s *Service) Incident(ctx context.Context, p account.Principal, id string) (Incident, error) {
	if p.IsCitizen() {
		return Incident{}, ErrNotFound
	}
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return Incident{}, err
	}
	inc := Incident{AlarmID: id, Disposition: a.Disposition, Units: []Unit{}, Callbacks: []Callback{}}
	var at int64
	err = s.db.QueryRow(ctx, "SELECT category, priority, address, notes, updated_at, updated_by FROM alarm_incidents WHERE alarm_id = $1", id).
		Scan(&inc.Category, &inc.Priority, &inc.Address, &inc.Notes, &at, &inc.UpdatedBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return inc, fmt.Errorf("alarm: incident: %w", err)
	}
	if at != 0 {
		t := db.Time(at)
		inc.UpdatedAt = &t
	}
	rs, err := s.db.Query(ctx, "SELECT id, unit, note, dispatched_at, arrived_at, cleared_at, dispatched_by FROM alarm_units WHERE alarm_id = $1 ORDER BY dispatched_at, id", id)
	if err != nil {
		return inc, fmt.Errorf("alarm: units: %w", err)
	}
	for rs.Next() {
		var u Unit
		var d, ar, cl int64
		if err := rs.Scan(&u.ID, &u.Unit, &u.Note, &d, &ar, &cl, &u.DispatchedBy); err != nil {
			rs.Close()
			return inc, err
		}
		u.DispatchedAt, u.ArrivedAt, u.ClearedAt = db.Time(d), optTime(ar), optTime(cl)
		inc.Units = append(inc.Units, u)
	}
	rs.Close()
	cbs, err := s.callbacks(ctx, []string{id})
	if err != nil {
		return inc, err
	}
	if c := cbs[id]; c != nil {
		inc.Callbacks = c
	}
	return inc, nil
}

func optTime(us int64) *time.Time {
	if us == 0 {
		return nil
	}
	t := db.Time(us)
	return &t
}

func (s *Service) callbacks(ctx context.Context, ids []string) (map[string][]Callback, error) {
	out := map[string][]Callback{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rs, err := s.db.Query(ctx, "SELECT alarm_id, id, at, officer, outcome, note FROM alarm_callbacks WHERE alarm_id IN ("+db.Placeholders(1, len(ids))+") ORDER BY at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("alarm: callbacks: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var aid string
		var c Callback
		var at int64
		if err := rs.Scan(&aid, &c.ID, &at, &c.Officer, &c.Outcome, &c.Note); err != nil {
			return nil, err
		}
		c.At = db.Time(at)
		out[aid] = append(out[aid], c)
	}
	return out, rs.Err()
}

// DispatchUnit records a unit sent to the incident, stamped now. Errors:
// invalid_unit, alarm_not_found, not_your_alarm, invalid_transition.
func (s *Service) DispatchUnit(ctx context.Context, p account.Principal, id, unit, note string) (Unit, error) {
	unit, note = trimText(unit), trimText(note)
	if unit == "" || utf8.RuneCountInString(unit) > 100 || utf8.RuneCountInString(note) > 500 {
		return Unit{}, apperr.Invalidf("invalid_unit", "unit is required (at most 100 characters; note at most 500)")
	}
	if !ids.Valid(id) {
		return Unit{}, ErrNotFound
	}
	var u Unit
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.officerMay(p, r, ActIncident); err != nil {
			return err
		}
		now := s.now()
		u = Unit{ID: ids.New("u", now), Unit: unit, Note: note, DispatchedAt: now, DispatchedBy: p.Username}
		if _, err := w.Exec(ctx, "INSERT INTO alarm_units (id, alarm_id, unit, note, dispatched_at, dispatched_by) VALUES ($1, $2, $3, $4, $5, $6)",
			u.ID, id, unit, note, db.Micros(now), p.Username); err != nil {
			return fmt.Errorf("alarm: dispatch unit: %w", err)
		}
		_, err := w.event(ctx, r, "unit_dispatched", p.Actor(), "", true, map[string]any{"unit": u})
		return err
	})
	return u, err
}

// UnitStatus stamps a dispatched unit as arrived or cleared (once each).
// Errors: invalid_status, unit_not_found, alarm_not_found, not_your_alarm.
func (s *Service) UnitStatus(ctx context.Context, p account.Principal, id, unitID, status string) (Unit, error) {
	col := map[string]string{"arrived": "arrived_at", "cleared": "cleared_at"}[status]
	if col == "" {
		return Unit{}, apperr.Invalidf("invalid_status", "status must be arrived or cleared")
	}
	if !ids.Valid(id) || !ids.Valid(unitID) {
		return Unit{}, ErrNotFound
	}
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.officerMay(p, r, ActIncident); err != nil {
			return err
		}
		now := db.Micros(s.now())
		res, err := w.Exec(ctx, "UPDATE alarm_units SET "+col+" = CASE WHEN "+col+" = 0 THEN $3 ELSE "+col+" END WHERE id = $1 AND alarm_id = $2",
			unitID, id, now)
		if err != nil {
			return fmt.Errorf("alarm: unit status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "unit_not_found", "no such unit on this alarm")
		}
		_, err = w.event(ctx, r, "unit_status", p.Actor(), status, true, map[string]any{"unit_id": unitID, "status": status})
		return err
	})
	if err != nil {
		return Unit{}, err
	}
	inc, err := s.Incident(ctx, p, id)
	if err != nil {
		return Unit{}, err
	}
	for _, u := range inc.Units {
		if u.ID == unitID {
			return u, nil
		}
	}
	return Unit{}, apperr.New(apperr.NotFound, "unit_not_found", "no such unit on this alarm")
}

// AddCallback records a call-back attempt on an abandoned (or closed)
// alarm. Errors: invalid_outcome, alarm_not_found, invalid_transition.
func (s *Service) AddCallback(ctx context.Context, p account.Principal, id, outcome, note string) (Callback, error) {
	if !slices.Contains(CallbackOutcomes, outcome) {
		return Callback{}, apperr.Invalidf("invalid_outcome", "outcome must be one of reached, no_answer, busy, unreachable, wrong_number, voicemail, refused")
	}
	note = trimText(note)
	if utf8.RuneCountInString(note) > 1000 {
		return Callback{}, apperr.Invalidf("invalid_note", "note is longer than 1000 characters")
	}
	if !ids.Valid(id) {
		return Callback{}, ErrNotFound
	}
	var c Callback
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.officerMay(p, r, ActCallback); err != nil {
			return err
		}
		now := s.now()
		c = Callback{ID: ids.New("c", now), At: now, Officer: p.Username, Outcome: outcome, Note: note}
		if _, err := w.Exec(ctx, "INSERT INTO alarm_callbacks (id, alarm_id, at, officer, outcome, note) VALUES ($1, $2, $3, $4, $5, $6)",
			c.ID, id, db.Micros(now), p.Username, outcome, note); err != nil {
			return fmt.Errorf("alarm: callback: %w", err)
		}
		_, err := w.event(ctx, r, "callback", p.Actor(), outcome, true, map[string]any{"callback": c})
		return err
	})
	return c, err
}

// CallbackItem is one entry of the call-back list.
type CallbackItem struct {
	Alarm     Alarm      `json:"alarm"`
	Callbacks []Callback `json:"callbacks"`
}

// CallbackList returns the abandoned alarms p's centre(s) must call back,
// oldest first, with the attempts so far.
func (s *Service) CallbackList(ctx context.Context, p account.Principal) ([]CallbackItem, error) {
	if !p.IsOfficer(account.Dispatcher, account.Supervisor, account.Admin) {
		return nil, errForbidden.Msg("the call-back list is for officers")
	}
	as, err := s.List(ctx, p, Filter{State: Abandoned, Limit: 500})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	cbs, err := s.callbacks(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]CallbackItem, 0, len(as))
	for i := len(as) - 1; i >= 0; i-- { // List is newest first; call back the oldest first
		c := cbs[as[i].ID]
		if c == nil {
			c = []Callback{}
		}
		out = append(out, CallbackItem{Alarm: as[i], Callbacks: c})
	}
	return out, nil
}

// auditExport records who exported an incident (it carries the caller's
// phone and movements).
func (s *Service) auditExport(ctx context.Context, p account.Principal, a Alarm, requestIP string) error {
	if s.audit == nil {
		return nil
	}
	subject := ""
	if a.CallerID != "" {
		subject = "citizen:" + a.CallerID
	}
	_, err := s.audit.Append(ctx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: requestIP,
		Action: "alarm.incident.export", Object: "alarm:" + a.ID, Subject: subject, Reason: "EIDO export"})
	return err
}
