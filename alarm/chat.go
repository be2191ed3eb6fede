package alarm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"open110/account"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/ids"
)

// addMessage stores a chat message on r and appends its event.
func (w *wtx) addMessage(ctx context.Context, r *row, from MessageFrom, sender, text, channel string) (Message, error) {
	return w.addMessageWithClientID(ctx, r, from, sender, text, channel, "")
}

func (w *wtx) addMessageWithClientID(ctx context.Context, r *row, from MessageFrom, sender, text, channel, clientID string) (Message, error) {
	now := w.s.now()
	r.MsgSeq++
	m := Message{ID: ids.New("m", now), AlarmID: r.ID, Seq: r.MsgSeq, From: from, Sender: sender, Text: text, Channel: channel, At: now}
	if _, err := w.Exec(ctx, "UPDATE alarms SET msg_seq = $2 WHERE id = $1", r.ID, r.MsgSeq); err != nil {
		return Message{}, fmt.Errorf("alarm: message seq: %w", err)
	}
	if _, err := w.Exec(ctx, `INSERT INTO alarm_messages (id, alarm_id, seq, sender_role, sender, text, channel, at, client_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, m.ID, m.AlarmID, m.Seq, string(from), sender, text, channel, db.Micros(now), clientID); err != nil {
		return Message{}, fmt.Errorf("alarm: insert message: %w", err)
	}
	if _, err := w.event(ctx, r, "message", sender, "", false, map[string]any{"message": m}); err != nil {
		return Message{}, err
	}
	return m, nil
}

// AddMessage posts p's chat message. The caller may write while queued or
// answered (a message from an abandoned caller returns the alarm to the
// queue); a dispatcher once they have answered. A dispatcher's reply to an
// SMS alarm is sent through the SMS sender after commit; its delivery (or
// send_error) is recorded and announced as a message_status event.
// Errors: empty_message, message_too_long, alarm_not_found, not_your_alarm,
// invalid_transition.
func (s *Service) AddMessage(ctx context.Context, p account.Principal, id, text string) (Message, error) {
	return s.AddMessageOnce(ctx, p, id, text, "")
}

// ErrInvalidClientID: a client message id must be 1–64 characters of
// letters, digits, '-' and '_'.
var ErrInvalidClientID = apperr.New(apperr.Invalid, "invalid_client_id", "client_id must be 1–64 letters, digits, '-' or '_'")

// AddMessageOnce is AddMessage with the client's own id for the message:
// sending again with the same clientID (after a reply was lost on a bad
// network) returns the message already stored instead of storing it twice.
// An empty clientID stores every call.
func (s *Service) AddMessageOnce(ctx context.Context, p account.Principal, id, text, clientID string) (Message, error) {
	if clientID != "" && !validClientID(clientID) {
		return Message{}, ErrInvalidClientID
	}
	t, err := checkText(text, true)
	if err != nil {
		return Message{}, err
	}
	if !ids.Valid(id) {
		return Message{}, ErrNotFound
	}
	var m Message
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		role := s.roleOf(p, r)
		if err := s.allowed(p, r, ActMessage); err != nil {
			return err
		}
		from, sender := FromCaller, p.Actor()
		if role == RoleDispatcher {
			from, sender = FromDispatcher, p.Username
		} else if err := s.touchCaller(ctx, w, r, false); err != nil {
			return err
		}
		channel := "app"
		if r.Kind == SMS && from == FromDispatcher {
			channel = "sms"
		}
		if clientID != "" {
			prev, found, err := s.messageByClientID(ctx, w, r.ID, sender, clientID)
			if err != nil || found {
				m = prev
				return err
			}
		}
		var err error
		m, err = w.addMessageWithClientID(ctx, r, from, sender, t, channel, clientID)
		if err == nil && from == FromDispatcher {
			_, err = w.Exec(ctx, "UPDATE alarms SET dispatcher_seen_at = $2 WHERE id = $1", id, db.Micros(s.now()))
		}
		return err
	})
	if err != nil {
		return Message{}, err
	}
	if m.Channel == "sms" && m.DeliveredAt == nil && m.SendError == "" {
		m = s.sendSMS(ctx, r, m)
	}
	return m, nil
}

func validClientID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// messageByClientID finds a message already stored under the sender's
// client id, inside the writing transaction.
func (s *Service) messageByClientID(ctx context.Context, w *wtx, alarmID, sender, clientID string) (Message, bool, error) {
	var m Message
	var from string
	var at, del, read int64
	err := w.QueryRow(ctx, `SELECT id, seq, sender_role, sender, text, channel, at, delivered_at, read_at, send_error
		FROM alarm_messages WHERE alarm_id = $1 AND sender = $2 AND client_id = $3`, alarmID, sender, clientID).
		Scan(&m.ID, &m.Seq, &from, &m.Sender, &m.Text, &m.Channel, &at, &del, &read, &m.SendError)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("alarm: find message by client id: %w", err)
	}
	m.AlarmID, m.From, m.At = alarmID, MessageFrom(from), db.Time(at)
	if del != 0 {
		t := db.Time(del)
		m.DeliveredAt = &t
	}
	if read != 0 {
		t := db.Time(read)
		m.ReadAt = &t
	}
	return m, true, nil
}

// sendSMS delivers a dispatcher reply to the SMS caller and records the
// outcome. The message is already stored; a failed send is shown to the
// dispatcher (send_error) so they can retry or call.
func (s *Service) sendSMS(ctx context.Context, r *row, m Message) Message {
	var sendErr error
	if s.sender == nil {
		sendErr = errors.New("no SMS sender configured")
	} else if r.CallerPhone == "" {
		sendErr = errors.New("no phone number")
	} else {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		sendErr = s.sender.Send(sctx, r.CallerPhone, "【110】"+m.Text)
		cancel()
	}
	_, err := s.mutate(context.WithoutCancel(ctx), r.ID, func(w *wtx, r *row) error {
		now := s.now()
		if sendErr != nil {
			m.SendError = "send failed"
			s.log.Warn("alarm: SMS reply failed", "alarm", r.ID, "err", sendErr)
			_, err := w.Exec(ctx, "UPDATE alarm_messages SET send_error = $2 WHERE id = $1", m.ID, m.SendError)
			if err != nil {
				return err
			}
		} else {
			m.DeliveredAt = &now
			if _, err := w.Exec(ctx, "UPDATE alarm_messages SET delivered_at = $2 WHERE id = $1", m.ID, db.Micros(now)); err != nil {
				return err
			}
		}
		_, err := w.event(ctx, r, "message_status", "system", "", false, map[string]any{"message": m})
		return err
	})
	if err != nil {
		s.log.Error("alarm: record SMS outcome", "alarm", r.ID, "err", err)
	}
	return m
}

// Messages returns the alarm's chat in order, after message seq after
// (0: from the start). Errors: alarm_not_found.
func (s *Service) Messages(ctx context.Context, p account.Principal, id string, after int64) ([]Message, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rs, err := s.db.Query(ctx, `SELECT id, seq, sender_role, sender, text, channel, at, delivered_at, read_at, send_error
		FROM alarm_messages WHERE alarm_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000`, id, after)
	if err != nil {
		return nil, fmt.Errorf("alarm: messages: %w", err)
	}
	defer rs.Close()
	out := []Message{}
	for rs.Next() {
		var m Message
		var from string
		var at, del, read int64
		if err := rs.Scan(&m.ID, &m.Seq, &from, &m.Sender, &m.Text, &m.Channel, &at, &del, &read, &m.SendError); err != nil {
			return nil, fmt.Errorf("alarm: scan message: %w", err)
		}
		m.AlarmID, m.From, m.At = id, MessageFrom(from), db.Time(at)
		if del != 0 {
			t := db.Time(del)
			m.DeliveredAt = &t
		}
		if read != 0 {
			t := db.Time(read)
			m.ReadAt = &t
		}
		if p.IsCitizen() && m.From != FromCaller {
			m.Sender = ""
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

// Ack records that p's client has received (and, with read, shown) the
// other side's messages up to seq. Messages already marked keep their first
// time. Returns how many messages changed. Errors: alarm_not_found.
func (s *Service) Ack(ctx context.Context, p account.Principal, id string, deliveredUpTo, readUpTo int64) (int, error) {
	if !ids.Valid(id) {
		return 0, ErrNotFound
	}
	if readUpTo > deliveredUpTo {
		deliveredUpTo = readUpTo
	}
	n := 0
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		role := s.roleOf(p, r)
		var others string
		switch {
		case role == RoleCaller:
			others = "sender_role <> 'caller'"
		case role == RoleDispatcher && r.AnsweredBy == p.Username:
			others = "sender_role = 'caller'"
		case role == RoleNone:
			return ErrNotFound
		default:
			return nil // observers' reading is not the recipient's reading
		}
		now := db.Micros(s.now())
		var changed []int64
		mark := func(col string, upto int64) error {
			if upto <= 0 {
				return nil
			}
			rs, err := w.Query(ctx, "UPDATE alarm_messages SET "+col+" = $3 WHERE alarm_id = $1 AND seq <= $2 AND "+col+" = 0 AND "+others+" RETURNING seq",
				id, upto, now)
			if err != nil {
				return fmt.Errorf("alarm: ack: %w", err)
			}
			defer rs.Close()
			for rs.Next() {
				var q int64
				if err := rs.Scan(&q); err != nil {
					return err
				}
				changed = append(changed, q)
			}
			return rs.Err()
		}
		if err := mark("delivered_at", deliveredUpTo); err != nil {
			return err
		}
		if err := mark("read_at", readUpTo); err != nil {
			return err
		}
		n = len(changed)
		if n == 0 {
			return nil
		}
		_, err := w.event(ctx, r, "receipt", p.Actor(), "", false, map[string]any{
			"by": string(role), "delivered_upto": deliveredUpTo, "read_upto": readUpTo})
		return err
	})
	return n, err
}

// AddPosition appends the caller's new fix to the alarm's location stream.
// It never replaces the confirmed location, except when the alarm had none
// (raised without a fix). Errors: invalid_location, alarm_not_found,
// invalid_transition (over).
func (s *Service) AddPosition(ctx context.Context, p account.Principal, id string, pos Position) (PositionFix, error) {
	if err := pos.Validate(); err != nil {
		return PositionFix{}, err
	}
	if !ids.Valid(id) {
		return PositionFix{}, ErrNotFound
	}
	var fix PositionFix
	_, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActPosition); err != nil {
			return err
		}
		if err := s.touchCaller(ctx, w, r, false); err != nil {
			return err
		}
		now := s.now()
		seq := r.LatestSeq + 1
		if err := insertPosition(ctx, w, id, seq, pos, now); err != nil {
			return err
		}
		r.LatestSeq = seq
		first := r.Location == nil
		if first {
			r.Location, r.LocationSeq = &pos, seq
			if _, err := w.Exec(ctx, `UPDATE alarms SET last_pos_seq = $2, loc_seq = $2, lat = $3, lng = $4, accuracy_m = $5, loc_source = $6 WHERE id = $1`,
				id, seq, pos.Lat, pos.Lng, pos.AccuracyM, pos.Source); err != nil {
				return fmt.Errorf("alarm: position: %w", err)
			}
		} else if _, err := w.Exec(ctx, "UPDATE alarms SET last_pos_seq = $2 WHERE id = $1", id, seq); err != nil {
			return fmt.Errorf("alarm: position: %w", err)
		}
		fix = PositionFix{Seq: seq, At: now, Position: pos, Confirmed: first}
		_, err := w.event(ctx, r, "position", p.Actor(), "", false, map[string]any{"position": fix})
		return err
	})
	return fix, err
}

// AcceptPosition makes position seq of the stream the confirmed location —
// the dispatcher's one action. Errors: alarm_not_found, position_not_found,
// not_your_alarm, invalid_transition.
func (s *Service) AcceptPosition(ctx context.Context, p account.Principal, id string, seq int64) (Alarm, error) {
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActAccept); err != nil {
			return err
		}
		var pos Position
		err := w.QueryRow(ctx, "SELECT lat, lng, accuracy_m, source FROM alarm_positions WHERE alarm_id = $1 AND seq = $2", id, seq).
			Scan(&pos.Lat, &pos.Lng, &pos.AccuracyM, &pos.Source)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchPosition
		}
		if err != nil {
			return fmt.Errorf("alarm: accept position: %w", err)
		}
		if _, err := w.Exec(ctx, "UPDATE alarms SET loc_seq = $2, lat = $3, lng = $4, accuracy_m = $5, loc_source = $6 WHERE id = $1",
			id, seq, pos.Lat, pos.Lng, pos.AccuracyM, pos.Source); err != nil {
			return fmt.Errorf("alarm: accept position: %w", err)
		}
		r.Location, r.LocationSeq = &pos, seq
		_, err = w.event(ctx, r, "location_accepted", p.Actor(), "", false, map[string]any{"seq": seq})
		return err
	})
	if err != nil {
		return Alarm{}, err
	}
	return s.present(p, r), nil
}

// Positions returns the alarm's location stream in order (the trail), the
// confirmed fix marked. Errors: alarm_not_found.
func (s *Service) Positions(ctx context.Context, p account.Principal, id string) ([]PositionFix, error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.db.Query(ctx, "SELECT seq, lat, lng, accuracy_m, source, at FROM alarm_positions WHERE alarm_id = $1 ORDER BY seq LIMIT 5000", id)
	if err != nil {
		return nil, fmt.Errorf("alarm: positions: %w", err)
	}
	defer rs.Close()
	out := []PositionFix{}
	for rs.Next() {
		var f PositionFix
		var at int64
		if err := rs.Scan(&f.Seq, &f.Lat, &f.Lng, &f.AccuracyM, &f.Source, &at); err != nil {
			return nil, fmt.Errorf("alarm: scan position: %w", err)
		}
		f.At, f.Confirmed = db.Time(at), f.Seq == a.LocationSeq
		out = append(out, f)
	}
	return out, rs.Err()
}
