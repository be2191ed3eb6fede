package guardian

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
)

// RaiseRequest is an alarm from a trip.
type RaiseRequest struct {
	Kind      string `json:"kind,omitempty"` // video, silent, voice, text; default silent for the traveller, text for a guardian
	RequestIP string `json:"-"`
}

// Raised is the alarm raised from a trip.
type Raised struct {
	AlarmID string `json:"alarm_id"`
	Center  string `json:"center"`
	TripID  string `json:"trip_id"`
}

// repeatWindow: the same person raising again this soon gets the alarm
// they already raised (a double tap, a retry after a lost answer).
const repeatWindow = 2 * time.Minute

// RaiseAlarm raises an alarm from a trip: the traveller's SOS, or a
// guardian's "raise an alarm for them". The alarm is routed by the
// traveller's last position, linked to the trip (which opens the trip's
// pre-incident track and media to the centre handling it, and keeps the
// trip past the retention period), and carries the traveller's phone for
// call-back; a guardian-raised alarm says which guardian raised it. It is
// durable when RaiseAlarm returns. Errors: trip_not_found, invalid_kind.
// A trip that has ended can still be the subject of a guardian's alarm
// (the traveller went silent after "arrived").
func (s *Service) RaiseAlarm(ctx context.Context, p account.Principal, tripID string, req RaiseRequest) (Raised, error) {
	t, role, err := s.access(ctx, s.db, p, tripID)
	if err != nil {
		return Raised{}, err
	}
	by := RaisedByGuardian
	kind := req.Kind
	if role == RoleTraveller {
		by = RaisedByTraveller
		if kind == "" {
			kind = "silent"
		}
	} else if kind == "" {
		kind = "text"
	}
	switch kind {
	case "video", "silent", "voice", "text":
	default:
		return Raised{}, ErrInvalidAlarmKind
	}
	// A repeat within the window returns the first alarm.
	var prevID, prevCenter string
	err = s.db.WriteRow(ctx, "SELECT alarm_id, center FROM trip_alarms WHERE trip_id = $1 AND raiser_id = $2 AND raised_at >= $3 ORDER BY raised_at DESC LIMIT 1",
		tripID, p.ID, db.Micros(s.now().Add(-repeatWindow))).Scan(&prevID, &prevCenter)
	if err == nil {
		return Raised{AlarmID: prevID, Center: prevCenter, TripID: tripID}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Raised{}, fmt.Errorf("guardian: read trip alarms: %w", err)
	}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM trip_alarms WHERE trip_id = $1", tripID).Scan(&n); err != nil {
		return Raised{}, fmt.Errorf("guardian: count trip alarms: %w", err)
	}
	ar := AlarmRequest{Kind: kind, Location: posOf(t), TravellerID: t.OwnerID, TravellerPhone: t.OwnerPhone,
		IdempotencyKey: "trip-" + tripID + "-" + strconv.Itoa(n+1) + "-" + p.ID,
		Links:          map[string]string{"trip_id": tripID, "raised_by": by},
		Note:           alarmNote(t, by, p.Phone)}
	if by == RaisedByGuardian {
		ar.RaisedByID = p.ID
		ar.Links["guardian_id"] = p.ID
		ar.Links["guardian_phone"] = p.Phone
	}
	return s.link(ctx, t, ar, by, p.ID, p.Actor())
}

func posOf(t tripRow) *Position {
	if l := t.last(); l != nil {
		return &l.Position
	}
	return nil
}

// alarmNote is the system note posted into the alarm's chat: what the
// dispatcher needs first.
func alarmNote(t tripRow, by, raiserPhone string) string {
	var b strings.Builder
	switch by {
	case RaisedByGuardian:
		fmt.Fprintf(&b, "亲友互助：守护人（%s）为出行人报警。", raiserPhone)
	case RaisedByDuress:
		b.WriteString("亲友互助：出行人输入了胁迫安全码结束行程（表面显示已报平安），可能正受人控制。请勿贸然回拨。")
	default:
		b.WriteString("亲友互助：出行人在行程中一键求助。")
	}
	fmt.Fprintf(&b, " 出行方式：%s；出行人电话：%s。", modeName(Mode(t.Mode)), t.OwnerPhone)
	if t.Note != "" {
		fmt.Fprintf(&b, " 备注：%s。", t.Note)
	}
	if t.Destination != "" {
		fmt.Fprintf(&b, " 目的地：%s。", t.Destination)
	}
	if l := t.last(); l != nil {
		fmt.Fprintf(&b, " 最后位置 %.5f,%.5f（±%.0f米，%s）。", l.Lat, l.Lng, l.AccuracyM, l.At.In(shanghai).Format("15:04:05"))
	}
	b.WriteString(" 可在警情详情中调取行程轨迹与照片（调取将被审计）。")
	return b.String()
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// link raises the alarm and records the link, holds the trip and tells the
// viewers.
func (s *Service) link(ctx context.Context, t tripRow, ar AlarmRequest, by, raiserID, actor string) (Raised, error) {
	ref, err := s.alarms.RaiseLinked(ctx, ar)
	if err != nil {
		return Raised{}, err
	}
	if ref.At.IsZero() {
		ref.At = s.now()
	}
	var rev int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO trip_alarms (alarm_id, trip_id, raised_by, raiser_id, raised_at, center) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (alarm_id) DO NOTHING`, ref.ID, t.ID, by, raiserID, db.Micros(ref.At), ref.Center)
		if err != nil {
			return fmt.Errorf("guardian: link alarm: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // linked before (idempotent replay)
		}
		if _, err := tx.Exec(ctx, "UPDATE trips SET held = 1, duress_pending = CASE WHEN $2 = 1 THEN 0 ELSE duress_pending END WHERE id = $1",
			t.ID, db.Bool(by == RaisedByDuress)); err != nil {
			return fmt.Errorf("guardian: hold trip: %w", err)
		}
		audience := audienceAll
		if by != RaisedByTraveller {
			audience = audienceGuardians // never on the traveller's screen
		}
		rev, err = s.addEvent(ctx, tx, t.ID, "alarm", audience, actor, map[string]any{"alarm_id": ref.ID, "raised_by": by, "center": ref.Center})
		return err
	})
	if err != nil {
		return Raised{}, err
	}
	if rev > 0 {
		s.wake(ctx, t.ID, rev)
		if phones, err := guardianPhones(ctx, s.db, t.ID); err == nil {
			text := "【公安110】" + maskPhone(t.OwnerPhone) + "的出行已触发报警，110已受理。"
			if by == RaisedByDuress {
				text = "【公安110】" + maskPhone(t.OwnerPhone) + "结束行程时输入了胁迫安全码，110已静默受理。请勿给TA打电话或发消息。"
			}
			for _, ph := range phones {
				if by == RaisedByGuardian && ph == ar.Links["guardian_phone"] {
					continue
				}
				s.notify(ctx, ph, text)
			}
		}
	}
	return Raised{AlarmID: ref.ID, Center: ref.Center, TripID: t.ID}, nil
}

// raiseDuress raises the silent alarm of a trip ended with the duress PIN.
// It runs right after the end commits and again from the timer loop while
// duress_pending is set, so a failure or a restart never loses it. The
// alarm names no caller account (it must not appear in the traveller's
// app) but carries the phone; its idempotency key makes retries safe.
func (s *Service) raiseDuress(ctx context.Context, tripID string) {
	t, err := loadTrip(ctx, s.db, tripID)
	if err != nil || t.DuressPending == 0 {
		return
	}
	ar := AlarmRequest{Kind: "silent", Location: posOf(t), TravellerPhone: t.OwnerPhone,
		IdempotencyKey: "trip-" + tripID + "-duress",
		Links:          map[string]string{"trip_id": tripID, "raised_by": RaisedByDuress},
		Note:           alarmNote(t, RaisedByDuress, "")}
	if _, err := s.link(ctx, t, ar, RaisedByDuress, "", "system"); err != nil {
		s.log.Error("guardian: duress alarm not raised yet; will retry", "trip", tripID, "err", err)
	}
}

// PoliceView is a linked trip as the centre handling the alarm sees it:
// the track and media from before the alarm.
type PoliceView struct {
	AlarmID string  `json:"alarm_id"`
	Trip    Trip    `json:"trip"`
	Cutoff  string  `json:"cutoff"` // data up to this time (the alarm), RFC 3339
	Points  []Point `json:"points"`
	Media   []Media `json:"media"`
	Notice  string  `json:"notice"`
}

// PoliceNotice is shown beside linked trip data in the console.
const PoliceNotice = "本行程数据仅因关联警情而可调取；每次调取均记录操作人、时间、IP与警情编号，出行人可查看。 Trip data is available only through this linked alarm; every read is audited (officer, time, IP, alarm) and visible to the traveller."

// policeTrip checks an officer's access to the trip linked to alarmID.
// Everything that is not a yes — no linked trip, an alarm the officer may
// not see, a centre the alarm is not with, a rank, a closed case — is the
// same trip_not_found.
func (s *Service) policeTrip(ctx context.Context, p account.Principal, alarmID string) (tripRow, AlarmLink, error) {
	if !p.IsOfficer() || !validAlarmID(alarmID) || s.audit == nil {
		return tripRow{}, AlarmLink{}, ErrTripNotFound
	}
	var tripID string
	var l AlarmLink
	var at int64
	err := s.db.QueryRow(ctx, "SELECT trip_id, raised_by, raiser_id, raised_at, center FROM trip_alarms WHERE alarm_id = $1", alarmID).
		Scan(&tripID, &l.RaisedBy, &l.RaiserID, &at, &l.Center)
	if errors.Is(err, sql.ErrNoRows) {
		return tripRow{}, l, ErrTripNotFound
	}
	if err != nil {
		return tripRow{}, l, fmt.Errorf("guardian: read linked trip: %w", err)
	}
	l.AlarmID, l.At = alarmID, db.Time(at)
	acc, err := s.alarms.Access(ctx, p, alarmID)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.Internal {
			return tripRow{}, l, ErrTripNotFound
		}
		return tripRow{}, l, err
	}
	if !policeMay(p, acc) {
		return tripRow{}, l, ErrTripNotFound
	}
	t, err := loadTrip(ctx, s.db, tripID)
	return t, l, err
}

func validAlarmID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) auditRead(ctx context.Context, p account.Principal, action string, t tripRow, l AlarmLink, requestIP string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["alarm_id"] = l.AlarmID
	detail["raised_by"] = l.RaisedBy
	_, err := s.audit.Append(ctx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: requestIP, Action: action,
		Object: "trip:" + t.ID, Subject: "citizen:" + t.OwnerID, Reason: "linked alarm " + l.AlarmID, Detail: detail})
	if err != nil {
		return fmt.Errorf("guardian: audit: %w", err)
	}
	return nil
}

// PoliceRead returns the trip linked to alarmID — its track and media from
// before the alarm — to a dispatcher or handling officer of the centre the
// alarm is with, while the case is open. The read is audited (who, when,
// sign-in and request IP, which alarm) before anything is returned.
// Errors: trip_not_found for everyone else, whatever their rank.
func (s *Service) PoliceRead(ctx context.Context, p account.Principal, alarmID, requestIP string) (PoliceView, error) {
	t, l, err := s.policeTrip(ctx, p, alarmID)
	if err != nil {
		return PoliceView{}, err
	}
	cutoff := db.Micros(l.At)
	pts, err := s.points(ctx, s.db, t.ID, 0, cutoff)
	if err != nil {
		return PoliceView{}, err
	}
	ms, err := s.media(ctx, s.db, t.ID, 0, cutoff)
	if err != nil {
		return PoliceView{}, err
	}
	v, err := s.view(ctx, s.db, t, RolePolice)
	if err != nil {
		return PoliceView{}, err
	}
	// The police see the trip as it stood when the alarm was raised.
	v.Last, v.Cursor = nil, 0
	if len(pts) > 0 {
		last := pts[len(pts)-1]
		for _, pt := range pts {
			if pt.At.After(last.At) {
				last = pt
			}
		}
		v.Last = &last
	}
	if err := s.auditRead(ctx, p, "trip.police.read", t, l, requestIP, map[string]any{"points": len(pts), "media": len(ms)}); err != nil {
		return PoliceView{}, err
	}
	return PoliceView{AlarmID: alarmID, Trip: v, Cutoff: l.At.Format(time.RFC3339Nano), Points: pts, Media: ms, Notice: PoliceNotice}, nil
}

// PoliceMedia opens one pre-alarm media item of the trip linked to alarmID
// for the same officers as PoliceRead; each open is audited. Errors:
// trip_not_found, media_not_found.
func (s *Service) PoliceMedia(ctx context.Context, p account.Principal, alarmID, mediaID, requestIP string) (Media, io.ReadCloser, error) {
	t, l, err := s.policeTrip(ctx, p, alarmID)
	if err != nil {
		return Media{}, nil, err
	}
	m, rc, err := s.openMedia(ctx, t.ID, mediaID, db.Micros(l.At))
	if err != nil {
		return Media{}, nil, err
	}
	if err := s.auditRead(ctx, p, "trip.police.media", t, l, requestIP, map[string]any{"media_id": m.ID, "sha256": m.SHA256}); err != nil {
		rc.Close()
		return Media{}, nil, err
	}
	return m, rc, nil
}

// Access is one read of a citizen's trip data by the police.
type Access struct {
	At       time.Time `json:"at"`
	Officer  string    `json:"officer"` // officer:<username>
	IP       string    `json:"ip"`
	Action   string    `json:"action"` // trip.police.read, trip.police.media
	TripID   string    `json:"trip_id"`
	AlarmID  string    `json:"alarm_id"`
	AuditSeq int64     `json:"audit_seq"`
}

// AccessLog lists every police read of p's trip data, newest last. Reads
// under a duress alarm are left out for DuressDisclose after the alarm:
// whoever forced the traveller may be holding their phone.
func (s *Service) AccessLog(ctx context.Context, p account.Principal) ([]Access, error) {
	if !p.IsCitizen() || s.audit == nil {
		return nil, ErrCitizensOnly
	}
	hidden, err := s.undisclosedDuress(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := []Access{}
	var after int64
	for {
		es, err := s.audit.List(ctx, audit.Filter{Subject: "citizen:" + p.ID, Action: "trip.police.*", AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			after = e.Seq
			alarmID, _ := e.Detail["alarm_id"].(string)
			if hidden[alarmID] {
				continue
			}
			out = append(out, Access{At: e.At, Officer: e.Actor, IP: e.RequestIP, Action: e.Action,
				TripID: strings.TrimPrefix(e.Object, "trip:"), AlarmID: alarmID, AuditSeq: e.Seq})
		}
		if len(es) < 1000 {
			return out, nil
		}
	}
}

// undisclosedDuress returns the duress alarms of the traveller's trips
// raised within DuressDisclose: reads under them stay out of the
// traveller's own views.
func (s *Service) undisclosedDuress(ctx context.Context, citizenID string) (map[string]bool, error) {
	hidden := map[string]bool{}
	rows, err := s.db.Query(ctx, `SELECT a.alarm_id FROM trip_alarms a JOIN trips t ON t.id = a.trip_id
		WHERE t.owner_id = $1 AND a.raised_by = 'duress' AND a.raised_at > $2`, citizenID, db.Micros(s.now().Add(-s.cfg.DuressDisclose)))
	if err != nil {
		return nil, fmt.Errorf("guardian: access log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("guardian: access log: %w", err)
		}
		hidden[id] = true
	}
	return hidden, rows.Err()
}

// Withheld returns a predicate over audit entries about citizen id that
// must not be shown to them yet: police reads of their trip under a duress
// alarm within DuressDisclose (for "my data"'s access log, as AccessLog).
func (s *Service) Withheld(ctx context.Context, citizenID string) (func(audit.Entry) bool, error) {
	hidden, err := s.undisclosedDuress(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	return func(e audit.Entry) bool {
		if len(hidden) == 0 || !strings.HasPrefix(e.Action, "trip.police.") {
			return false
		}
		id, _ := e.Detail["alarm_id"].(string)
		return hidden[id]
	}, nil
}
