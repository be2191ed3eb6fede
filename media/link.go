package media

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/sms"
)

// Video by link: a dispatcher sends the caller of a text, SMS or voice
// alarm a one-time link by SMS. The link opens the no-app page (/v/<token>),
// which asks for consent and then claims the link: the token is spent (it
// works once, for LinkTTL) and exchanged for a media session that lets the
// page stream into the same alarm as its caller. Tokens and sessions are
// stored only as SHA-256 hashes.

// sessionTTL bounds a link's media session (the alarm closing ends it sooner).
const sessionTTL = 2 * time.Hour

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// LinkResult is the response to sending a video link.
type LinkResult struct {
	SentTo    string    `json:"sent_to"` // masked phone
	ExpiresAt time.Time `json:"expires_at"`
}

// SendVideoLink sends the caller of alarm a one-time video link. Only the
// answering dispatcher may; phone defaults to the alarm's caller phone.
// Errors: not_in_alarm (403) for others, alarm_closed (409), invalid_phone
// (400), unavailable (503) when SMS cannot be sent.
func (s *Service) SendVideoLink(ctx context.Context, p account.Principal, alarmID, phone, baseURL, requestIP string) (LinkResult, error) {
	g, err := s.d.Alarms.Access(ctx, p, alarmID)
	if err != nil {
		return LinkResult{}, err
	}
	if g.Role != RoleDispatcher {
		return LinkResult{}, errOnlyDispatcherLinks
	}
	if g.Alarm.Closed() {
		return LinkResult{}, ErrAlarmClosed
	}
	if phone == "" {
		phone = g.Alarm.CallerPhone
	}
	if phone == "" {
		return LinkResult{}, apperr.Invalidf("phone_required", "the alarm has no caller phone; give one")
	}
	norm, err := sms.NormalizePhone(phone)
	if err != nil {
		return LinkResult{}, err
	}
	if s.d.SMS == nil {
		return LinkResult{}, apperr.ErrUnavailable.Msg("SMS is not configured")
	}
	tok := newToken()
	now := s.now()
	exp := now.Add(s.cfg.LinkTTL)
	err = s.d.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO media_links (token_hash, alarm_id, phone, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, hashToken(tok), alarmID, norm, p.Actor(), db.Micros(now), db.Micros(exp)); err != nil {
			return fmt.Errorf("media: insert link: %w", err)
		}
		subject := ""
		if g.Alarm.CallerID != "" {
			subject = "citizen:" + g.Alarm.CallerID
		}
		_, err := s.d.Audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: requestIP,
			Action: "media.link.send", Object: "alarm:" + alarmID, Subject: subject, Reason: "video upgrade",
			Detail: map[string]any{"to": maskPhone(norm), "expires_at": exp.UTC().Format(time.RFC3339)}})
		return err
	})
	if err != nil {
		return LinkResult{}, err
	}
	url := strings.TrimRight(baseURL, "/") + "/v/" + tok
	text := fmt.Sprintf("【110】民警邀请您开启视频报警，请点击 %s （%d分钟内有效，仅可使用一次）", url, int(s.cfg.LinkTTL.Minutes()))
	if err := s.d.SMS.Send(ctx, norm, text); err != nil {
		return LinkResult{}, apperr.ErrUnavailable.Msg("the SMS could not be sent").Wrap(err)
	}
	s.note(ctx, alarmID, "视频链接已通过短信发送至 "+maskPhone(norm))
	return LinkResult{SentTo: maskPhone(norm), ExpiresAt: exp.UTC()}, nil
}

func maskPhone(p string) string {
	if len(p) < 8 {
		return "****"
	}
	return p[:len(p)-8] + "****" + p[len(p)-4:]
}

// LinkClaim is what the no-app page gets for a valid link.
type LinkClaim struct {
	AlarmID      string    `json:"alarm_id"`
	MediaSession string    `json:"media_session"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// ClaimLink spends a video link after the caller consented and returns a
// media session for the alarm's signalling socket. A link that is unknown,
// used or expired: link_invalid (404); no consent: consent_required (400).
func (s *Service) ClaimLink(ctx context.Context, token string, consent bool, requestIP string) (LinkClaim, error) {
	if !consent {
		return LinkClaim{}, ErrConsent
	}
	now := s.now()
	sess := newToken()
	sessExp := now.Add(sessionTTL)
	var alarmID string
	err := s.d.DB.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE media_links SET used_at = $2, session_hash = $3, session_expires_at = $4
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING alarm_id`,
			hashToken(token), db.Micros(now), hashToken(sess), db.Micros(sessExp)).Scan(&alarmID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkInvalid
		}
		if err != nil {
			return fmt.Errorf("media: claim link: %w", err)
		}
		_, err = s.d.Audit.AppendTx(ctx, tx, audit.Entry{Actor: "link:" + hashToken(sess)[:12], RequestIP: requestIP,
			Action: "media.link.claim", Object: "alarm:" + alarmID, Reason: "caller consented to video"})
		return err
	})
	if err != nil {
		return LinkClaim{}, err
	}
	a, err := s.d.Alarms.Get(ctx, alarmID)
	if err != nil {
		return LinkClaim{}, err
	}
	if a.Closed() {
		return LinkClaim{}, ErrAlarmClosed
	}
	s.note(ctx, alarmID, "报警人已同意并打开视频链接")
	return LinkClaim{AlarmID: alarmID, MediaSession: sess, ExpiresAt: sessExp.UTC()}, nil
}

// LinkStatus tells the page whether a link can still be used, without
// spending it.
func (s *Service) LinkStatus(ctx context.Context, token string) (time.Time, error) {
	var exp int64
	err := s.d.DB.QueryRow(ctx, `SELECT expires_at FROM media_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
		hashToken(token), db.Micros(s.now())).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrLinkInvalid
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("media: link status: %w", err)
	}
	return db.Time(exp), nil
}

// linkSessionAny resolves a media session to its alarm ID.
func (s *Service) linkSessionAny(ctx context.Context, sess string) (string, error) {
	var alarmID string
	err := s.d.DB.QueryRow(ctx, `SELECT alarm_id FROM media_links WHERE session_hash = $1 AND session_expires_at > $2`,
		hashToken(sess), db.Micros(s.now())).Scan(&alarmID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.ErrUnauthorized.Msg("the media session is invalid or expired")
	}
	if err != nil {
		return "", fmt.Errorf("media: link session: %w", err)
	}
	return alarmID, nil
}

// linkSession checks a media session for alarmID and returns the alarm.
func (s *Service) linkSession(ctx context.Context, sess, alarmID string) (Alarm, error) {
	id, err := s.linkSessionAny(ctx, sess)
	if err != nil {
		return Alarm{}, err
	}
	if id != alarmID {
		return Alarm{}, apperr.ErrForbidden.Msg("the media session is for another alarm")
	}
	a, err := s.d.Alarms.Get(ctx, alarmID)
	if err != nil {
		return Alarm{}, err
	}
	if a.Closed() {
		return Alarm{}, ErrAlarmClosed
	}
	return a, nil
}

var errOnlyDispatcherLinks = ErrNotInAlarm.Msg("only the answering dispatcher may send a video link")

func (s *Service) handleSendLink(w http.ResponseWriter, r *http.Request) {
	// Who, and may they see this alarm, before anything about the body.
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if g, err := s.d.Alarms.Access(r.Context(), p, r.PathValue("id")); err != nil || g.Role != RoleDispatcher {
		if err == nil {
			err = errOnlyDispatcherLinks
		}
		api.Fail(w, r, err)
		return
	}
	var req struct {
		Phone string `json:"phone"`
	}
	if r.ContentLength != 0 {
		if err := api.Decode(w, r, &req, 0); err != nil {
			api.Fail(w, r, err)
			return
		}
	}
	base := s.cfg.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	res, err := s.SendVideoLink(r.Context(), p, r.PathValue("id"), req.Phone, base, api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, res)
}

func (s *Service) handleLinkStatus(w http.ResponseWriter, r *http.Request) {
	if err := s.linkLimit.Allow(api.ClientIP(r)); err != nil {
		api.Fail(w, r, err)
		return
	}
	exp, err := s.LinkStatus(r.Context(), r.PathValue("token"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"valid": true, "expires_at": exp.UTC()})
}

func (s *Service) handleClaimLink(w http.ResponseWriter, r *http.Request) {
	if err := s.linkLimit.Allow(api.ClientIP(r)); err != nil {
		api.Fail(w, r, err)
		return
	}
	// An unknown or used link is 404 whatever the body says.
	if _, err := s.LinkStatus(r.Context(), r.PathValue("token")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var req struct {
		Consent bool `json:"consent"`
	}
	if err := api.Decode(w, r, &req, 0); err != nil {
		api.Fail(w, r, err)
		return
	}
	c, err := s.ClaimLink(r.Context(), r.PathValue("token"), req.Consent, api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, c)
}

// note posts a platform note into the alarm's chat when the alarm feature
// takes them; failures are logged, never fatal.
func (s *Service) note(ctx context.Context, alarmID, text string) {
	n, ok := s.d.Alarms.(Notes)
	if !ok {
		return
	}
	if err := n.AddSystemMessage(ctx, alarmID, "media", text); err != nil {
		s.log.Warn("media: chat note", "alarm", alarmID, "err", err)
	}
}
