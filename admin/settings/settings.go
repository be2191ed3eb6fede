// Package settings holds the platform settings an administrator changes at
// run time (overflow times, quick phrases, retention, rate limits, SMS
// gateway, TURN): stored in the database as numbered versions, validated
// before they are saved, and applied on every node — the saving node
// publishes a wake-up on the bus subject "config.settings" and each node
// re-reads the newest version (and re-reads every minute anyway, since a
// wake-up may be lost). Features read the settings in force with Get.
package settings

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"open110/platform/apperr"
	"open110/platform/bus"
	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the settings history's schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "settings", FS: sub}
}

// Subject is the bus subject that wakes every node to re-read the settings.
const Subject = "config.settings"

// Settings are the run-time rules. The zero value of a field is never in
// force: Defaults fills it, Validate refuses it.
type Settings struct {
	// Alarms.
	OverflowAfterS int      `json:"overflow_after_s"` // unanswered this long → offered one step up (5–300, default 20)
	AbandonAfterS  int      `json:"abandon_after_s"`  // caller gone this long before an answer → abandoned (10–600, default 60)
	QuickPhrases   []string `json:"quick_phrases"`    // dispatcher one-click replies; empty: the alarm feature's defaults

	// Retention (days).
	TripRetentionDays     int `json:"trip_retention_days"`     // trip tracks and media not linked to an alarm (1–365, default 30)
	ClosedRetentionDays   int `json:"closed_retention_days"`   // closed non-evidence data, e.g. chat of closed alarms (30–3650, default 365)
	EvidenceRetentionDays int `json:"evidence_retention_days"` // evidence media (365–36500, default 3650); never purged silently
	SessionRetentionDays  int `json:"session_retention_days"`  // expired or revoked sessions kept (1–365, default 7)

	RateLimits RateLimits `json:"rate_limits"`
	SMS        SMS        `json:"sms"`
	TURN       TURN       `json:"turn"`
}

// RateLimits bound abuse. Every node applies them at once (app/wire_runtime.go:
// account.SetLimits, alarm.SetTuning).
type RateLimits struct {
	OTPPerPhoneDay     int `json:"otp_per_phone_day"`     // 1–50, default 10
	OTPPerIPHour       int `json:"otp_per_ip_hour"`       // 1–1000, default 30
	LoginPerIPMinute   int `json:"login_per_ip_minute"`   // 1–1000, default 30
	AlarmsPerPhoneHour int `json:"alarms_per_phone_hour"` // prank mark threshold, never a refusal (1–100, default 3)
}

// SMS is the carrier gateway. An empty URL means the file outbox.
type SMS struct {
	GatewayURL string `json:"gateway_url"`
	Secret     string `json:"secret,omitempty"` // masked when shown
}

// TURN lists relay servers given to WebRTC clients (TCP/TLS 443 matters on
// networks that block UDP).
type TURN struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential,omitempty"` // masked when shown
}

// Defaults are the safe settings in force until an administrator saves any.
func Defaults() Settings {
	return Settings{
		OverflowAfterS: 20, AbandonAfterS: 60,
		TripRetentionDays: 30, ClosedRetentionDays: 365, EvidenceRetentionDays: 3650, SessionRetentionDays: 7,
		RateLimits:   RateLimits{OTPPerPhoneDay: 10, OTPPerIPHour: 30, LoginPerIPMinute: 30, AlarmsPerPhoneHour: 3},
		QuickPhrases: []string{}, TURN: TURN{URLs: []string{}},
	}
}

// ErrInvalid is a setting out of range; "field" names it.
var ErrInvalid = apperr.New(apperr.Invalid, "invalid_setting", "a setting is out of range")

// ErrConflict: someone saved a newer version since base_version was read.
var ErrConflict = apperr.New(apperr.Conflict, "settings_conflict", "the settings were changed by someone else; reload and try again")

// Validate checks every field and returns the first problem with its field name.
func (s Settings) Validate() error {
	rng := func(field string, v, lo, hi int) error {
		if v < lo || v > hi {
			return ErrInvalid.Msg("%s must be between %d and %d", field, lo, hi).With("field", field)
		}
		return nil
	}
	checks := []error{
		rng("overflow_after_s", s.OverflowAfterS, 5, 300),
		rng("abandon_after_s", s.AbandonAfterS, 10, 600),
		rng("trip_retention_days", s.TripRetentionDays, 1, 365),
		rng("closed_retention_days", s.ClosedRetentionDays, 30, 3650),
		rng("evidence_retention_days", s.EvidenceRetentionDays, 365, 36500),
		rng("session_retention_days", s.SessionRetentionDays, 1, 365),
		rng("rate_limits.otp_per_phone_day", s.RateLimits.OTPPerPhoneDay, 1, 50),
		rng("rate_limits.otp_per_ip_hour", s.RateLimits.OTPPerIPHour, 1, 1000),
		rng("rate_limits.login_per_ip_minute", s.RateLimits.LoginPerIPMinute, 1, 1000),
		rng("rate_limits.alarms_per_phone_hour", s.RateLimits.AlarmsPerPhoneHour, 1, 100),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if len(s.QuickPhrases) > 30 {
		return ErrInvalid.Msg("at most 30 quick phrases").With("field", "quick_phrases")
	}
	for i, p := range s.QuickPhrases {
		if n := utf8.RuneCountInString(strings.TrimSpace(p)); n == 0 || n > 200 || !utf8.ValidString(p) {
			return ErrInvalid.Msg("quick phrase %d must be 1–200 characters", i+1).With("field", "quick_phrases")
		}
	}
	if s.SMS.GatewayURL != "" {
		u, err := url.Parse(s.SMS.GatewayURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return ErrInvalid.Msg("sms.gateway_url must be an http(s) URL").With("field", "sms.gateway_url")
		}
		if s.SMS.Secret == "" {
			return ErrInvalid.Msg("an SMS gateway needs a shared secret").With("field", "sms.secret")
		}
	}
	if len(s.TURN.URLs) > 10 {
		return ErrInvalid.Msg("at most 10 TURN URLs").With("field", "turn.urls")
	}
	for _, raw := range s.TURN.URLs {
		if !(strings.HasPrefix(raw, "turn:") || strings.HasPrefix(raw, "turns:") || strings.HasPrefix(raw, "stun:")) || len(raw) > 200 {
			return ErrInvalid.Msg("TURN URLs look like turn:host:443?transport=tcp or turns:host:443").With("field", "turn.urls")
		}
	}
	if len(s.TURN.URLs) > 0 && strings.HasPrefix(strings.Join(s.TURN.URLs, " "), "turn") && (s.TURN.Username == "" || s.TURN.Credential == "") {
		return ErrInvalid.Msg("TURN servers need a username and credential").With("field", "turn.username")
	}
	return nil
}

// Mask is the form shown to administrators: secrets replaced by "******"
// when set.
func (s Settings) Mask() Settings {
	if s.SMS.Secret != "" {
		s.SMS.Secret = Masked
	}
	if s.TURN.Credential != "" {
		s.TURN.Credential = Masked
	}
	return s
}

// Masked stands for a secret that is set; saving it back keeps the secret.
const Masked = "******"

// Version is one saved version.
type Version struct {
	Version  int64     `json:"version"` // 0: the defaults, nothing saved yet
	Settings Settings  `json:"settings"`
	SavedAt  time.Time `json:"saved_at"`
	SavedBy  string    `json:"saved_by"`
	Note     string    `json:"note,omitempty"`
}

// Store keeps the settings in force on this node.
type Store struct {
	db  *db.DB
	bus bus.Bus
	now func() time.Time
	log *slog.Logger

	cur atomic.Pointer[Version]
	mu  sync.Mutex
	fns []func(Settings)
}

// New returns a store holding the defaults until Load.
func New(d *db.DB, b bus.Bus, now func() time.Time, log *slog.Logger) *Store {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Store{db: d, bus: b, now: now, log: log}
	s.cur.Store(&Version{Settings: Defaults()})
	return s
}

// Get returns the settings in force. Cheap; safe for concurrent use.
func (s *Store) Get() Settings { return s.cur.Load().Settings }

// Current returns the version in force.
func (s *Store) Current() Version { return *s.cur.Load() }

// OnChange registers fn to run (on the loading goroutine) whenever a newer
// version is loaded, and once at once with the settings in force.
func (s *Store) OnChange(fn func(Settings)) {
	s.mu.Lock()
	s.fns = append(s.fns, fn)
	s.mu.Unlock()
	fn(s.Get())
}

// Load reads the newest version from the database and applies it if newer
// than the one in force.
func (s *Store) Load(ctx context.Context) error {
	v, err := latest(ctx, s.db)
	if err != nil {
		return err
	}
	if v.Version <= s.cur.Load().Version {
		return nil
	}
	s.cur.Store(&v)
	s.mu.Lock()
	fns := append([]func(Settings){}, s.fns...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn(v.Settings)
	}
	return nil
}

func latest(ctx context.Context, q db.Querier) (Version, error) {
	var v Version
	var data string
	var at int64
	err := q.QueryRow(ctx, "SELECT version, data, saved_at, saved_by, note FROM settings_versions ORDER BY version DESC LIMIT 1").
		Scan(&v.Version, &data, &at, &v.SavedBy, &v.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{Settings: Defaults()}, nil
	}
	if err != nil {
		return v, fmt.Errorf("settings: read: %w", err)
	}
	v.Settings = Defaults()
	if err := json.Unmarshal([]byte(data), &v.Settings); err != nil {
		return v, fmt.Errorf("settings: decode version %d: %w", v.Version, err)
	}
	v.SavedAt = db.Time(at)
	return v, nil
}

// Save validates next and stores it as the version after base (the version
// the administrator edited), inside tx so the caller can audit in the same
// transaction. Secrets sent back as Masked keep their stored value. Call
// Publish after the transaction commits. Errors: invalid_setting (with
// field), settings_conflict.
func (s *Store) Save(ctx context.Context, tx *db.Tx, base int64, next Settings, by, note string) (Version, error) {
	cur, err := latest(ctx, tx)
	if err != nil {
		return Version{}, err
	}
	if cur.Version != base {
		return Version{}, ErrConflict.With("current_version", cur.Version)
	}
	if next.SMS.Secret == Masked {
		next.SMS.Secret = cur.Settings.SMS.Secret
	}
	if next.TURN.Credential == Masked {
		next.TURN.Credential = cur.Settings.TURN.Credential
	}
	if next.QuickPhrases == nil {
		next.QuickPhrases = []string{}
	}
	if next.TURN.URLs == nil {
		next.TURN.URLs = []string{}
	}
	for i, p := range next.QuickPhrases {
		next.QuickPhrases[i] = strings.TrimSpace(p)
	}
	if err := next.Validate(); err != nil {
		return Version{}, err
	}
	if len([]rune(note)) > 500 {
		return Version{}, ErrInvalid.Msg("note is longer than 500 characters").With("field", "note")
	}
	b, err := json.Marshal(next)
	if err != nil {
		return Version{}, fmt.Errorf("settings: encode: %w", err)
	}
	v := Version{Version: cur.Version + 1, Settings: next, SavedAt: s.now().UTC().Truncate(time.Microsecond), SavedBy: by, Note: note}
	_, err = tx.Exec(ctx, "INSERT INTO settings_versions (version, data, saved_at, saved_by, note) VALUES ($1, $2, $3, $4, $5)",
		v.Version, string(b), db.Micros(v.SavedAt), by, note)
	if db.IsUniqueViolation(err) {
		return Version{}, ErrConflict
	}
	if err != nil {
		return Version{}, fmt.Errorf("settings: save: %w", err)
	}
	return v, nil
}

// Publish applies the newest version on this node at once and wakes the
// others.
func (s *Store) Publish(ctx context.Context) {
	if err := s.Load(ctx); err != nil {
		s.log.Error("settings: reload after save", "err", err)
	}
	if s.bus != nil {
		if err := s.bus.Publish(ctx, Subject, []byte(fmt.Sprint(s.cur.Load().Version))); err != nil {
			s.log.Warn("settings: publish wake-up (other nodes catch up within a minute)", "err", err)
		}
	}
}

// History lists saved versions, newest first (secrets masked).
func (s *Store) History(ctx context.Context, limit int) ([]Version, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, "SELECT version, data, saved_at, saved_by, note FROM settings_versions ORDER BY version DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("settings: history: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		var v Version
		var data string
		var at int64
		if err := rows.Scan(&v.Version, &data, &at, &v.SavedBy, &v.Note); err != nil {
			return nil, fmt.Errorf("settings: scan: %w", err)
		}
		v.Settings = Defaults()
		if err := json.Unmarshal([]byte(data), &v.Settings); err != nil {
			return nil, fmt.Errorf("settings: decode version %d: %w", v.Version, err)
		}
		v.Settings = v.Settings.Mask()
		v.SavedAt = db.Time(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Run keeps this node's settings current until ctx ends: on every bus
// wake-up and once a minute.
func (s *Store) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	if s.bus != nil {
		cancel, err := s.bus.Subscribe(Subject, func(string, []byte) {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if err != nil {
			return fmt.Errorf("settings: subscribe: %w", err)
		}
		defer cancel()
	}
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
		if err := s.Load(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("settings: reload", "err", err)
		}
	}
}
