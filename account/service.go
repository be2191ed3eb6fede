// Package account signs people in and keeps their sessions: citizens by
// phone number and SMS one-time code, officers by username, argon2id
// password and optional TOTP. It owns the command centres of the unit tree
// and the officers who belong to them.
package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync/atomic"
	"time"

	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/ids"
	"open110/platform/sms"
)

// Errors with stable codes (DESIGN §5).
var (
	ErrInvalidCredentials = apperr.New(apperr.Unauthorized, "invalid_credentials", "wrong username or password")
	ErrAccountLocked      = apperr.New(apperr.TooMany, "account_locked", "too many failed sign-ins; try again later")
	ErrAccountDisabled    = apperr.New(apperr.Forbidden, "account_disabled", "this account is disabled")
	ErrTOTPRequired       = apperr.New(apperr.Unauthorized, "totp_required", "enter the 6-digit code from your authenticator app")
	ErrTOTPInvalid        = apperr.New(apperr.Unauthorized, "totp_invalid", "the authenticator code is wrong or already used")
	ErrTOTPNotEnrolled    = apperr.New(apperr.Forbidden, "totp_not_enrolled", "this role requires an authenticator app; ask an administrator to enrol one")
	ErrOTPResendTooSoon   = apperr.New(apperr.TooMany, "otp_resend_too_soon", "a code was sent recently; wait before asking again")
	ErrOTPDailyLimit      = apperr.New(apperr.TooMany, "otp_daily_limit", "too many codes requested for this number today")
	ErrOTPInvalid         = apperr.New(apperr.Unauthorized, "otp_invalid", "the code is wrong")
	ErrOTPExpired         = apperr.New(apperr.Unauthorized, "otp_expired", "the code has expired or was already used; request a new one")
	ErrOTPTooManyAttempts = apperr.New(apperr.TooMany, "otp_too_many_attempts", "too many wrong codes; request a new one")
	ErrOTPFormat          = apperr.New(apperr.Invalid, "invalid_code", "the code must be 6 digits")
	ErrInvalidToken       = apperr.New(apperr.Unauthorized, "invalid_token", "the session is invalid or has expired; sign in again")
	ErrUnknownCenter      = apperr.New(apperr.NotFound, "unknown_center", "no such command centre")
)

// Config holds the sign-in rules. Zero values take the defaults shown.
type Config struct {
	OTPTTL           time.Duration // 5 min: a code's life
	OTPResend        time.Duration // 60 s between codes to one phone
	OTPMaxAttempts   int           // 5 wrong tries burn a code
	OTPPerPhoneDay   int           // 10 codes per phone per day
	OTPPerIPHour     int           // 30 code requests per IP per hour
	CitizenSession   time.Duration // 30 days
	OfficerSession   time.Duration // 12 hours: one shift
	RequireTOTP      bool          // supervisors and admins must use TOTP
	LoginPerIPMinute int           // 30 officer sign-in attempts per IP per minute
}

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	seti := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.OTPTTL, 5*time.Minute)
	set(&c.OTPResend, 60*time.Second)
	seti(&c.OTPMaxAttempts, 5)
	seti(&c.OTPPerPhoneDay, 10)
	seti(&c.OTPPerIPHour, 30)
	set(&c.CitizenSession, 30*24*time.Hour)
	set(&c.OfficerSession, 12*time.Hour)
	seti(&c.LoginPerIPMinute, 30)
}

// Service is the account service.
type Service struct {
	db     *db.DB
	audit  *audit.Log
	sms    sms.Sender
	secret []byte // HMAC key for stored OTP hashes; from the server's secret
	cfg    Config
	now    func() time.Time
	log    *slog.Logger

	lim atomic.Pointer[limits] // the rate limits in force (SetLimits)
}

// Limits are the abuse limits an administrator changes at run time (admin
// settings); zero fields keep the value from Config.
type Limits struct {
	OTPPerPhoneDay   int // codes per phone per day
	OTPPerIPHour     int // code requests per IP per hour
	LoginPerIPMinute int // officer sign-in attempts per IP per minute
}

// limits are Limits resolved.
type limits struct {
	Limits
}

// SetLimits applies new rate limits at once (zero fields: Config's). The
// per-IP counts are in the database (iplimit.go), so changing a limit does
// not reset an attacker's count.
func (s *Service) SetLimits(l Limits) {
	if l.OTPPerPhoneDay <= 0 {
		l.OTPPerPhoneDay = s.cfg.OTPPerPhoneDay
	}
	if l.OTPPerIPHour <= 0 {
		l.OTPPerIPHour = s.cfg.OTPPerIPHour
	}
	if l.LoginPerIPMinute <= 0 {
		l.LoginPerIPMinute = s.cfg.LoginPerIPMinute
	}
	s.lim.Store(&limits{Limits: l})
}

// CurrentLimits returns the rate limits in force.
func (s *Service) CurrentLimits() Limits { return s.lim.Load().Limits }

// New returns the account service. secret keys the OTP hashes, so a stolen
// database does not give away live codes by brute force over 10^6 values.
func New(d *db.DB, a *audit.Log, sender sms.Sender, secret []byte, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: d, audit: a, sms: sender, secret: secret, cfg: cfg, now: now, log: log}
	s.SetLimits(Limits{})
	return s
}

// Session is what a successful sign-in returns.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Principal Principal `json:"-"`
}

func (s *Service) otpHash(phone, code string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(phone))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// RequestOTP sends a 6-digit code to phone. Errors: invalid_phone,
// otp_resend_too_soon (with retry_after_s), otp_daily_limit, rate_limited.
func (s *Service) RequestOTP(ctx context.Context, rawPhone, ip string) error {
	phone, err := sms.NormalizePhone(rawPhone)
	if err != nil {
		return err
	}
	lim := s.lim.Load()
	if err := s.allowIP(ctx, "otp", ip, lim.OTPPerIPHour, time.Hour); err != nil {
		return err
	}
	now := s.now().UTC()
	day := now.In(shanghai).Format("2006-01-02")
	code, err := randomDigits(6)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var sentAt int64
		var sendsDay int
		var lastDay string
		err := tx.QueryRow(ctx, "SELECT sent_at, sends_day, day FROM otp_codes WHERE phone = $1", phone).Scan(&sentAt, &sendsDay, &lastDay)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO otp_codes (phone, code_hash, sent_at, expires_at, attempts, request_ip, sends_day, day)
				VALUES ($1, $2, $3, $4, 0, $5, 1, $6)`, phone, s.otpHash(phone, code), db.Micros(now), db.Micros(now.Add(s.cfg.OTPTTL)), ip, day)
			return err
		case err != nil:
			return fmt.Errorf("account: read otp: %w", err)
		}
		if wait := db.Time(sentAt).Add(s.cfg.OTPResend).Sub(now); wait > 0 {
			return ErrOTPResendTooSoon.With("retry_after_s", int(wait.Seconds()+0.999))
		}
		if lastDay != day {
			sendsDay = 0
		}
		if sendsDay >= lim.OTPPerPhoneDay {
			return ErrOTPDailyLimit
		}
		_, err = tx.Exec(ctx, `UPDATE otp_codes SET code_hash = $2, sent_at = $3, expires_at = $4, attempts = 0, request_ip = $5,
			sends_day = $6, day = $7 WHERE phone = $1`,
			phone, s.otpHash(phone, code), db.Micros(now), db.Micros(now.Add(s.cfg.OTPTTL)), ip, sendsDay+1, day)
		return err
	})
	if err != nil {
		return err
	}
	text := fmt.Sprintf("【公安110】您的验证码是 %s，%d 分钟内有效。请勿告诉他人。", code, int(s.cfg.OTPTTL.Minutes()))
	if err := s.sms.Send(ctx, phone, text); err != nil {
		return apperr.New(apperr.Unavailable, "sms_unavailable", "the code could not be sent; call 110 if you need help now").Wrap(err)
	}
	return nil
}

// VerifyOTP checks a code and signs the citizen in, creating the citizen on
// first sign-in. A code works once. Errors: invalid_phone, invalid_code,
// otp_invalid (wrong code; attempts left in "attempts_left"), otp_expired,
// otp_too_many_attempts.
func (s *Service) VerifyOTP(ctx context.Context, rawPhone, code, ip, userAgent string) (Session, error) {
	phone, err := sms.NormalizePhone(rawPhone)
	if err != nil {
		return Session{}, err
	}
	if len(code) != 6 || !allDigits(code) {
		return Session{}, ErrOTPFormat
	}
	now := s.now().UTC()
	var sess Session
	var failed error
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var hash string
		var expires int64
		var attempts int
		err := tx.QueryRow(ctx, "SELECT code_hash, expires_at, attempts FROM otp_codes WHERE phone = $1", phone).Scan(&hash, &expires, &attempts)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && hash == "") {
			return ErrOTPExpired
		}
		if err != nil {
			return fmt.Errorf("account: read otp: %w", err)
		}
		if now.After(db.Time(expires)) {
			return ErrOTPExpired
		}
		if attempts >= s.cfg.OTPMaxAttempts {
			return ErrOTPTooManyAttempts
		}
		if subtle.ConstantTimeCompare([]byte(hash), []byte(s.otpHash(phone, code))) != 1 {
			// Count the failure but commit it: the error is returned after.
			if _, err := tx.Exec(ctx, "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone = $1", phone); err != nil {
				return fmt.Errorf("account: count attempt: %w", err)
			}
			left := s.cfg.OTPMaxAttempts - attempts - 1
			if left <= 0 {
				failed = ErrOTPTooManyAttempts
			} else {
				failed = ErrOTPInvalid.With("attempts_left", left)
			}
			_, err := s.audit.AppendTx(ctx, tx, audit.Entry{Actor: "phone:" + maskPhone(phone), RequestIP: ip,
				Action: "auth.otp.failed", Object: "phone:" + maskPhone(phone)})
			return err
		}
		// Burn the code: a used code can never sign in again.
		if _, err := tx.Exec(ctx, "UPDATE otp_codes SET code_hash = '', attempts = $2 WHERE phone = $1", phone, s.cfg.OTPMaxAttempts); err != nil {
			return fmt.Errorf("account: burn otp: %w", err)
		}
		id := NewID("c")
		var citizenID string
		if err := tx.QueryRow(ctx, `INSERT INTO citizens (id, phone, created_at, last_login) VALUES ($1, $2, $3, $3)
			ON CONFLICT (phone) DO UPDATE SET last_login = excluded.last_login RETURNING id`,
			id, phone, db.Micros(now)).Scan(&citizenID); err != nil {
			return fmt.Errorf("account: upsert citizen: %w", err)
		}
		p := Principal{Kind: Citizen, ID: citizenID, Phone: phone, SignInIP: ip}
		sess, err = s.newSession(ctx, tx, p, s.cfg.CitizenSession, ip, userAgent)
		if err != nil {
			return err
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: ip, RequestIP: ip,
			Action: "auth.login", Object: p.Actor(), Subject: p.Actor(), Detail: map[string]any{"method": "otp"}})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if failed != nil {
		return Session{}, failed
	}
	return sess, nil
}

// Login signs an officer in. Errors: invalid_credentials, account_locked
// (retry_after_s), account_disabled, totp_required, totp_invalid,
// totp_not_enrolled, rate_limited.
func (s *Service) Login(ctx context.Context, username, password, totp, ip, userAgent string) (Session, error) {
	if err := s.allowIP(ctx, "login", ip, s.lim.Load().LoginPerIPMinute, time.Minute); err != nil {
		return Session{}, err
	}
	o, hash, err := s.officerByUsername(ctx, username)
	if errors.Is(err, ErrInvalidCredentials) {
		CheckPassword(dummyHash(), password) // same cost as a real check
		s.auditFailure(ctx, username, ip, "unknown_user")
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC()
	if wait := o.lockedUntil.Sub(now); wait > 0 {
		s.auditFailure(ctx, username, ip, "locked")
		return Session{}, ErrAccountLocked.With("retry_after_s", int(wait.Seconds()+0.999))
	}
	if !CheckPassword(hash, password) {
		failures := o.failedCount + 1
		var lock time.Time
		switch {
		case failures >= 10: // lock for a while: an attack, or a forgotten password
			lock = now.Add(15 * time.Minute)
		case failures >= 3: // slow down: 1, 2, 4 … 64 s between tries
			lock = now.Add(time.Duration(1<<min(failures-3, 6)) * time.Second)
		}
		if _, err := s.db.Exec(ctx, "UPDATE officers SET failed_count = $2, locked_until = $3 WHERE id = $1",
			o.ID, failures, db.Micros(lock)); err != nil {
			return Session{}, fmt.Errorf("account: count failure: %w", err)
		}
		s.auditFailure(ctx, username, ip, "wrong_password")
		return Session{}, ErrInvalidCredentials
	}
	if o.disabled {
		s.auditFailure(ctx, username, ip, "disabled")
		return Session{}, ErrAccountDisabled
	}
	var step int64
	switch {
	case o.totpEnabled:
		if totp == "" {
			return Session{}, ErrTOTPRequired
		}
		step = checkTOTP(o.totpSecret, totp, now)
		if step == 0 || step <= o.totpLastStep {
			s.auditFailure(ctx, username, ip, "totp_invalid")
			return Session{}, ErrTOTPInvalid
		}
	case s.cfg.RequireTOTP && (o.Role == Supervisor || o.Role == Admin):
		return Session{}, ErrTOTPNotEnrolled
	}
	p := o.principal()
	p.SignInIP = ip
	var sess Session
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		q := "UPDATE officers SET failed_count = 0, locked_until = 0 WHERE id = $1"
		args := []any{o.ID}
		if step != 0 {
			// Conditional on the last step so two logins racing with one code cannot both win.
			q = "UPDATE officers SET failed_count = 0, locked_until = 0, totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2"
			args = append(args, step)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("account: reset failures: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTOTPInvalid
		}
		sess, err = s.newSession(ctx, tx, p, s.cfg.OfficerSession, ip, userAgent)
		if err != nil {
			return err
		}
		_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: p.Actor(), ActorIP: ip, RequestIP: ip,
			Action: "auth.login", Object: p.Actor(), Detail: map[string]any{"method": "password", "totp": step != 0}})
		return err
	})
	return sess, err
}

func (s *Service) auditFailure(ctx context.Context, username, ip, why string) {
	if len(username) > 64 {
		username = username[:64]
	}
	if _, err := s.audit.Append(ctx, audit.Entry{Actor: "officer:" + username, RequestIP: ip,
		Action: "auth.login.failed", Object: "officer:" + username, Reason: why}); err != nil {
		s.log.Error("audit failed sign-in", "err", err)
	}
}

func (s *Service) newSession(ctx context.Context, tx *db.Tx, p Principal, ttl time.Duration, ip, ua string) (Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("account: token: %w", err)
	}
	token := "o110_" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC()
	exp := now.Add(ttl)
	if len(ua) > 256 {
		ua = ua[:256]
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, kind, subject_id, created_at, expires_at, signin_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tokenHash(token), string(p.Kind), p.ID, db.Micros(now), db.Micros(exp), ip, ua); err != nil {
		return Session{}, fmt.Errorf("account: create session: %w", err)
	}
	return Session{Token: token, ExpiresAt: exp.Truncate(time.Second), Principal: p}, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate resolves a bearer token to its principal. Errors:
// invalid_token for unknown, expired or revoked sessions and for disabled
// officers or deleted citizens.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if len(token) < 10 || len(token) > 100 {
		return Principal{}, ErrInvalidToken
	}
	h := tokenHash(token)
	var kind, subject, ip string
	var expires, revoked int64
	err := s.db.QueryRow(ctx, "SELECT kind, subject_id, expires_at, revoked_at, signin_ip FROM sessions WHERE token_hash = $1", h).
		Scan(&kind, &subject, &expires, &revoked, &ip)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("account: read session: %w", err)
	}
	if revoked != 0 || s.now().After(db.Time(expires)) {
		return Principal{}, ErrInvalidToken
	}
	var p Principal
	switch Kind(kind) {
	case Citizen:
		var deleted int64
		p.Kind, p.ID = Citizen, subject
		err = s.db.QueryRow(ctx, "SELECT phone, deleted_at FROM citizens WHERE id = $1", subject).Scan(&p.Phone, &deleted)
		if err == nil && deleted != 0 {
			return Principal{}, ErrInvalidToken
		}
	case Officer:
		var o officer
		o, _, err = s.officerBy(ctx, "id", subject)
		if err == nil && o.disabled {
			return Principal{}, ErrInvalidToken
		}
		p = o.principal()
	default:
		return Principal{}, ErrInvalidToken
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, ErrInvalidCredentials) {
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("account: read session subject: %w", err)
	}
	p.SessionID = h[:12]
	p.SignInIP = ip
	return p, nil
}

// Logout revokes the session of token. Unknown tokens are not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at = 0",
		tokenHash(token), db.Micros(s.now()))
	if err != nil {
		return fmt.Errorf("account: logout: %w", err)
	}
	return nil
}

// RevokeAll revokes every session of a subject (officer disabled, citizen
// deleted, password reset).
func (s *Service) RevokeAll(ctx context.Context, q db.Querier, kind Kind, subjectID string) error {
	_, err := q.Exec(ctx, "UPDATE sessions SET revoked_at = $3 WHERE kind = $1 AND subject_id = $2 AND revoked_at = 0",
		string(kind), subjectID, db.Micros(s.now()))
	if err != nil {
		return fmt.Errorf("account: revoke sessions: %w", err)
	}
	return nil
}

// NewID returns a new object ID with a prefix ("c" citizens, "o"
// officers, …): see platform/ids.
func NewID(prefix string) string { return ids.New(prefix+"_", time.Now()) }

func randomDigits(n int) (string, error) {
	max := big.NewInt(1)
	for i := 0; i < n; i++ {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", fmt.Errorf("account: random code: %w", err)
	}
	return fmt.Sprintf("%0*d", n, v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maskPhone keeps the prefix and the last four digits: enough to correlate
// failures in the audit log without storing numbers nobody signed in with.
func maskPhone(p string) string {
	if len(p) < 8 {
		return "****"
	}
	return p[:6] + "****" + p[len(p)-4:]
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()
