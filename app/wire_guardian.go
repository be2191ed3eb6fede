package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"open110/account"
	"open110/guardian"
	"open110/guardian/adapt"
)

// wireGuardian serves 亲友互助: guardian links, trips with their live track
// and media, alarms from trips, and police reads of a trip through its
// linked alarm. Its timers (overdue, silent phone, duress retry, retention
// purge) run as a runner on every node; each step is a conditional update.
//
// Settings (environment until the lead moves them into Config), Go
// durations:
//
//	OPEN110_GUARDIAN_RETENTION     trip data kept after the trip ends unless linked to an alarm (default 168h)
//	OPEN110_GUARDIAN_SILENT_AFTER  no upload this long during a trip → guardians notified (default 10m)
//	OPEN110_GUARDIAN_PROMPT_GRACE  overdue prompt unanswered this long → guardians notified (default 15m)
func wireGuardian(a *App) error {
	// The node's retention job (admin, audited per run) purges trips at the
	// retention in force, not the guardian timers.
	cfg := guardian.Config{ExternalPurge: true}
	for name, d := range map[string]*time.Duration{
		"OPEN110_GUARDIAN_RETENTION":    &cfg.Retention,
		"OPEN110_GUARDIAN_SILENT_AFTER": &cfg.SilentAfter,
		"OPEN110_GUARDIAN_PROMPT_GRACE": &cfg.PromptGrace,
	} {
		if v := os.Getenv(name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				return fmt.Errorf("%s: want a positive Go duration such as 168h", name)
			}
			*d = x
		}
	}
	s := guardian.New(cfg, guardian.Deps{
		DB: a.DB, Bus: a.Bus, Blob: a.Blob, SMS: a.SMS, Audit: a.Audit, Now: a.Now, Log: a.Log.With("feature", "guardian"),
		Citizens: adapt.Citizens{Accounts: a.Accounts},
		Alarms:   nodeAlarms{a},
	})
	s.Register(a.Mux)
	a.guardian = s
	a.AddRunner(s.Run)
	a.AddCloser(s.Close)
	a.AddOpenAPI(guardian.OpenAPI)
	return nil
}

// nodeAlarms reaches the node's alarm service when called, so the order of
// the wirings does not matter.
type nodeAlarms struct{ a *App }

func (n nodeAlarms) svc() (adapt.Alarms, error) {
	s := n.a.Alarms()
	if s == nil {
		return adapt.Alarms{}, fmt.Errorf("guardian: the alarm service is not wired")
	}
	return adapt.Alarms{S: s}, nil
}

func (n nodeAlarms) RaiseLinked(ctx context.Context, req guardian.AlarmRequest) (guardian.AlarmRef, error) {
	s, err := n.svc()
	if err != nil {
		return guardian.AlarmRef{}, err
	}
	return s.RaiseLinked(ctx, req)
}

func (n nodeAlarms) Access(ctx context.Context, p account.Principal, alarmID string) (guardian.AlarmAccess, error) {
	s, err := n.svc()
	if err != nil {
		return guardian.AlarmAccess{}, err
	}
	return s.Access(ctx, p, alarmID)
}
