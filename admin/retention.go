package admin

import (
	"context"
	"net/http"
	"sort"
	"time"

	"open110/admin/settings"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/db"
)

// Purger is one feature's retention job: it deletes what is past retention
// under st and returns how many records of each kind it removed. A purger
// never deletes evidence (recorded media, uploads with a hash) or anything
// an open case holds; evidence past its retention is for a person to
// decide, so a purger may report it under a "due_*" count instead.
type Purger interface {
	Name() string
	Purge(ctx context.Context, st settings.Settings, now time.Time) (map[string]int64, error)
}

// accountPurger drops expired sign-in codes and old sessions.
type accountPurger struct{ s *Service }

func (a accountPurger) Name() string { return "account" }

func (a accountPurger) Purge(ctx context.Context, st settings.Settings, _ time.Time) (map[string]int64, error) {
	var out map[string]int64
	err := a.s.DB.InTx(ctx, func(tx *db.Tx) error {
		p, err := a.s.Accounts.PurgeExpired(ctx, tx, time.Duration(st.SessionRetentionDays)*24*time.Hour)
		out = map[string]int64{"otp_codes": p.OTPCodes, "sessions": p.Sessions}
		return err
	})
	return out, err
}

// RetentionRun is the outcome of one run.
type RetentionRun struct {
	At      time.Time                   `json:"at"`
	Purged  map[string]map[string]int64 `json:"purged"` // feature → kind → count
	Errors  map[string]string           `json:"errors,omitempty"`
	Missing []string                    `json:"not_covered,omitempty"`
}

// RunRetention runs every purger once and records the run in the audit log
// (actor "system", action "retention.purge"), one entry per feature.
func (s *Service) RunRetention(ctx context.Context, actor string) RetentionRun {
	st := s.Settings.Get()
	now := s.Now().UTC()
	run := RetentionRun{At: now, Purged: map[string]map[string]int64{}, Errors: map[string]string{}}
	purgers := append([]Purger{accountPurger{s}}, s.Purgers...)
	for _, p := range purgers {
		counts, err := p.Purge(ctx, st, now)
		e := audit.Entry{Actor: actor, Action: "retention.purge", Object: "feature:" + p.Name(), Detail: map[string]any{}}
		for k, v := range counts {
			e.Detail[k] = v
		}
		if err != nil {
			run.Errors[p.Name()] = err.Error()
			e.Reason = "failed: " + err.Error()
			s.Log.Error("retention job failed", "feature", p.Name(), "err", err)
		}
		run.Purged[p.Name()] = counts
		if _, aerr := s.Audit.Append(ctx, e); aerr != nil {
			s.Log.Error("audit the retention run", "err", aerr)
		}
	}
	if len(run.Errors) == 0 {
		run.Errors = nil
	}
	names := map[string]bool{}
	for _, p := range purgers {
		names[p.Name()] = true
	}
	for _, f := range []string{"guardian", "alarm", "media"} {
		if !names[f] {
			run.Missing = append(run.Missing, f)
		}
	}
	sort.Strings(run.Missing)
	return run
}

// runRetention runs the jobs a minute after start and then every six hours,
// and re-reads routing once a minute in case a wake-up was lost.
func (s *Service) runRetention(ctx context.Context) error {
	first := time.NewTimer(time.Minute)
	defer first.Stop()
	every := time.NewTicker(6 * time.Hour)
	defer every.Stop()
	routing := time.NewTicker(time.Minute)
	defer routing.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-first.C:
			s.RunRetention(ctx, "system")
		case <-every.C:
			s.RunRetention(ctx, "system")
		case <-routing.C:
			if s.ReloadRouting != nil {
				if err := s.ReloadRouting(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn("periodic routing reload", "err", err)
				}
			}
		}
	}
}

func (s *Service) handleRetentionRun(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, s.RunRetention(r.Context(), p.Actor()))
}
