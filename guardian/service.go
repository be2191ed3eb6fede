package guardian

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"open110/audit"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/sms"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the guardian feature's schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "guardian", FS: sub}
}

// Deps are the parts the service runs on. DB, Bus, Blob, Citizens and
// Alarms are required.
type Deps struct {
	DB       *db.DB
	Bus      bus.Bus
	Blob     blob.Store
	SMS      sms.Sender // nil: guardians are notified in the app only
	Audit    *audit.Log // nil: police reads are refused (they must be audited)
	Citizens Citizens
	Alarms   Alarms
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger
}

// Service is the guardian feature.
type Service struct {
	cfg      Config
	db       *db.DB
	bus      bus.Bus
	blob     blob.Store
	sms      sms.Sender
	audit    *audit.Log
	citizens Citizens
	alarms   Alarms
	now      func() time.Time
	log      *slog.Logger
	ing      *ingester

	closeOnce sync.Once
	retain    atomic.Int64 // run-time trip retention (SetRetention); 0: cfg.Retention
}

// SetRetention changes at run time how long ended trips not linked to an
// alarm are kept (admin settings: trip retention days); the next purge
// uses it. d <= 0 restores Config's Retention.
func (s *Service) SetRetention(d time.Duration) { s.retain.Store(int64(max(d, 0))) }

// retention is the trip retention in force.
func (s *Service) retention() time.Duration {
	if d := time.Duration(s.retain.Load()); d > 0 {
		return d
	}
	return s.cfg.Retention
}

// New returns the guardian service and starts its ingest workers (Close
// stops them).
func New(cfg Config, d Deps) *Service {
	cfg.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Service{cfg: cfg, db: d.DB, bus: d.Bus, blob: d.Blob, sms: d.SMS, audit: d.Audit,
		citizens: d.Citizens, alarms: d.Alarms, now: d.Now, log: d.Log}
	workers := cfg.SQLiteWriters
	if d.DB.Dialect == db.Postgres {
		workers = cfg.PGWriters
	}
	s.ing = newIngester(s, workers)
	return s
}

// Close stops the ingest workers after the batches in flight.
func (s *Service) Close() error {
	s.closeOnce.Do(s.ing.close)
	return nil
}

// bump advances the trip's change counter inside tx and returns the new
// rev; the row lock it takes orders the trip's writers. ok is false when
// the trip does not exist.
func bump(ctx context.Context, tx *db.Tx, tripID string) (int64, error) {
	var rev int64
	err := tx.QueryRow(ctx, "UPDATE trips SET rev = rev + 1 WHERE id = $1 RETURNING rev", tripID).Scan(&rev)
	if err != nil {
		return 0, fmt.Errorf("guardian: bump trip: %w", err)
	}
	return rev, nil
}

// addEvent bumps the trip and records an event at the new rev.
func (s *Service) addEvent(ctx context.Context, tx *db.Tx, tripID, typ, audience, actor string, data map[string]any) (int64, error) {
	rev, err := bump(ctx, tx, tripID)
	if err != nil {
		return 0, err
	}
	js := "{}"
	if len(data) > 0 {
		b, err := json.Marshal(data)
		if err != nil {
			return 0, fmt.Errorf("guardian: event data: %w", err)
		}
		js = string(b)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO trip_events (trip_id, rev, type, audience, at, actor, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		tripID, rev, typ, audience, db.Micros(s.now()), actor, js); err != nil {
		return 0, fmt.Errorf("guardian: add event: %w", err)
	}
	return rev, nil
}

// Subject of a trip's wake-ups.
const subjectTrip = "guardian.trip."

// wake tells live views of the trips that something changed (after commit).
func (s *Service) wake(ctx context.Context, tripID string, rev int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.bus.Publish(ctx, subjectTrip+tripID, []byte(strconv.FormatInt(rev, 10))); err != nil {
		s.log.Warn("guardian: wake-up not published; live views catch up by polling", "trip", tripID, "err", err)
	}
}

// notify sends an SMS, logging failures (the in-app event is the record).
func (s *Service) notify(ctx context.Context, to, text string) {
	if s.sms == nil || to == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.sms.Send(ctx, to, text); err != nil {
		s.log.Warn("guardian: SMS not sent", "err", err)
	}
}

func nullable(p *Position, f func(Position) float64) any {
	if p == nil {
		return nil
	}
	return f(*p)
}

var randRead = rand.Read

// Who sees an event.
const (
	audienceAll       = "all"
	audienceGuardians = "guardians"
	audienceTraveller = "traveller"
)
