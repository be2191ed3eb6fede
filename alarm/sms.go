package alarm

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/sms"
)

// InboundSMS is the 12110 gateway's callback body.
type InboundSMS struct {
	ID   string    `json:"id"`   // the gateway's message id (retries repeat it)
	From string    `json:"from"` // the sender's phone
	To   string    `json:"to"`   // the receiving number, e.g. 12110 or 12110311
	Text string    `json:"text"`
	At   string    `json:"at,omitempty"`   // RFC 3339, when the carrier received it
	Cell *Position `json:"cell,omitempty"` // the sender's cell position, when the carrier gives one
}

// SMSResult is the answer to the gateway.
type SMSResult struct {
	AlarmID   string `json:"alarm_id"`
	Created   bool   `json:"created"`   // a new alarm; false: joined the phone's open alarm
	Duplicate bool   `json:"duplicate"` // this message id was already ingested; nothing changed
}

var (
	ErrSMSDisabled  = apperr.New(apperr.Unavailable, "sms_inbound_disabled", "the 12110 gateway secret is not configured")
	ErrSMSSignature = apperr.New(apperr.Unauthorized, "invalid_signature", "signature does not match")
	ErrSMSTimestamp = apperr.New(apperr.Unauthorized, "stale_timestamp", "timestamp missing or outside the accepted window")
	ErrSMSReplay    = apperr.New(apperr.Conflict, "replayed", "this exact request was already received")
	ErrSMSInvalid   = apperr.New(apperr.Invalid, "invalid_sms", "the SMS callback is invalid")
)

// VerifySMS checks the gateway's signature headers over the raw body:
// X-Open110-Timestamp (unix seconds, within ±SMSWindow of Now) and
// X-Open110-Signature (sms.Sign(secret, ts, body)). It returns the
// normalised signature. Errors: sms_inbound_disabled, stale_timestamp,
// invalid_signature.
func (s *Service) VerifySMS(ts, sig string, body []byte) (string, error) {
	secret := s.Tuning().SMSSecret
	if len(secret) == 0 {
		return "", ErrSMSDisabled
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 {
		return "", ErrSMSTimestamp
	}
	skew := s.now().Sub(time.Unix(sec, 0))
	if skew > s.cfg.SMSWindow || skew < -s.cfg.SMSWindow {
		return "", ErrSMSTimestamp
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != 32 {
		return "", ErrSMSSignature
	}
	want, _ := hex.DecodeString(sms.Sign(secret, ts, body))
	if !hmac.Equal(got, want) {
		return "", ErrSMSSignature
	}
	return hex.EncodeToString(got), nil
}

// DecodeSMS parses and validates a callback body (strict JSON).
func DecodeSMS(body []byte) (InboundSMS, error) {
	var in InboundSMS
	if err := api.DecodeBytes(body, &in); err != nil {
		return in, err
	}
	if in.ID == "" || len(in.ID) > 128 || !validIdemKey(in.ID) {
		return in, ErrSMSInvalid.Msg("id must be 1-128 printable ASCII characters")
	}
	if in.From == "" || len(in.From) > 32 {
		return in, ErrSMSInvalid.Msg("from must be a phone number")
	}
	if p, err := sms.NormalizePhone(in.From); err == nil {
		in.From = p
	} else {
		// Not a mainland mobile (a landline, an odd format): keep the digits
		// rather than lose the alarm; replies may fail and say so.
		digits := make([]byte, 0, len(in.From))
		for i := 0; i < len(in.From); i++ {
			if c := in.From[i]; c >= '0' && c <= '9' || (c == '+' && i == 0) {
				digits = append(digits, c)
			}
		}
		if len(digits) < 3 {
			return in, ErrSMSInvalid.Msg("from must be a phone number")
		}
		in.From = string(digits)
	}
	if len(in.To) > 32 {
		return in, ErrSMSInvalid.Msg("to is too long")
	}
	in.Text = trimText(in.Text)
	if utf8.RuneCountInString(in.Text) > MaxMessageRunes {
		return in, ErrMessageTooLong
	}
	if in.Text == "" {
		in.Text = "[空短信 empty SMS]" // still an alarm: someone may be unable to type
	}
	if in.Cell != nil && in.Cell.Validate() != nil {
		in.Cell = nil // a bad cell fix routes by number instead; never refuse the alarm
	}
	return in, nil
}

// ReceiveSMS ingests one verified gateway callback (sig from VerifySMS):
// a new SMS alarm for the phone, or a message on its open one. An exact
// replay (same signature) is refused; a retry of a known message id is
// answered idempotently. A new alarm's sender gets an acknowledgement SMS.
// Errors: replayed, invalid_sms, message_too_long.
func (s *Service) ReceiveSMS(ctx context.Context, sig string, in InboundSMS) (SMSResult, error) {
	var known string
	err := s.db.WriteRow(ctx, "SELECT alarm_id FROM sms_inbound WHERE signature = $1", sig).Scan(&known)
	if err == nil {
		return SMSResult{}, ErrSMSReplay
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return SMSResult{}, fmt.Errorf("alarm: sms replay check: %w", err)
	}
	err = s.db.WriteRow(ctx, "SELECT alarm_id FROM sms_inbound WHERE id = $1", in.ID).Scan(&known)
	if err == nil {
		return SMSResult{AlarmID: known, Duplicate: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return SMSResult{}, fmt.Errorf("alarm: sms lookup: %w", err)
	}
	record := func(ctx context.Context, w *wtx, alarmID string) error {
		_, err := w.Exec(ctx, "INSERT INTO sms_inbound (id, signature, phone, alarm_id, received_at) VALUES ($1, $2, $3, $4, $5)",
			in.ID, sig, in.From, alarmID, db.Micros(s.now()))
		if db.IsUniqueViolation(err) {
			return errSMSRace
		}
		return err
	}
	for attempt := 0; attempt < 3; attempt++ {
		res, err := s.receiveOnce(ctx, in, record)
		if errors.Is(err, errSMSRace) || errors.Is(err, errDuplicate) {
			// Another request for this message or phone won a race: look again.
			if err2 := s.db.WriteRow(ctx, "SELECT alarm_id FROM sms_inbound WHERE id = $1", in.ID).Scan(&known); err2 == nil {
				return SMSResult{AlarmID: known, Duplicate: true}, nil
			}
			continue
		}
		return res, err
	}
	return SMSResult{}, apperr.ErrUnavailable.Msg("busy; retry")
}

var errSMSRace = errors.New("alarm: concurrent sms ingest")

func (s *Service) receiveOnce(ctx context.Context, in InboundSMS, record func(context.Context, *wtx, string) error) (SMSResult, error) {
	var open string
	err := s.db.WriteRow(ctx, "SELECT id FROM alarms WHERE caller_phone = $1 AND kind = 'sms' AND state IN ('queued', 'answered')", in.From).Scan(&open)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SMSResult{}, fmt.Errorf("alarm: sms open alarm: %w", err)
	}
	if open != "" {
		_, err := s.mutate(ctx, open, func(w *wtx, r *row) error {
			if r.State != Queued && r.State != Answered {
				return errDuplicate // closed meanwhile: start again
			}
			if _, err := w.addMessage(ctx, r, FromCaller, in.From, in.Text, "sms"); err != nil {
				return err
			}
			return record(ctx, w, r.ID)
		})
		if err != nil {
			return SMSResult{}, err
		}
		return SMSResult{AlarmID: open}, nil
	}
	center, routing := s.smsRoute(in)
	a, _, err := s.raise(ctx, raiseInput{kind: SMS, loc: in.Cell, text: in.Text, phone: in.From, raisedBy: "sms:" + in.From,
		routing: &routing, center: center, channel: "sms", inTx: record})
	if err != nil {
		return SMSResult{}, err
	}
	ack := fmt.Sprintf("您的短信报警已收到，已转%s处理，请保持手机畅通。情况紧急请直接拨打110。", a.Center.Name)
	if m, err := s.addSystem(ctx, a.ID, "sms", ack, "sms"); err == nil {
		r, err := loadRow(ctx, s.db, s.db.Dialect, a.ID, false)
		if err == nil {
			s.sendSMS(ctx, r, m)
		}
	}
	return SMSResult{AlarmID: a.ID, Created: true}, nil
}

// smsRoute: the cell position when given, else the receiving number's
// configured area, else the province.
func (s *Service) smsRoute(in InboundSMS) (string, Routing) {
	if in.Cell != nil {
		c, rt := s.route(in.Cell)
		if rt.By == "position" {
			rt.By = "cell"
		}
		return c, rt
	}
	if c, ok := s.cfg.SMSNumberAreas[in.To]; ok {
		if _, known := geo.UnitByCode(c); known {
			return c, Routing{By: "number", Reason: "routed by the receiving number " + in.To, Home: c}
		}
	}
	return geo.ProvinceCode, Routing{By: "province", Reason: "no cell position and no area for the receiving number; the province centre answers", Home: geo.ProvinceCode}
}
