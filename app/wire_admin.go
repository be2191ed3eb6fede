package app

import (
	"context"
	"errors"
	"time"

	"open110/account"
	"open110/admin"
	"open110/admin/settings"
	"open110/alarm"
	"open110/audit"
	"open110/mydata"
	"open110/platform/apperr"
	"open110/profile"
)

// wireAdmin serves administration, the audit viewer, the supervisors'
// dashboard, the citizens' emergency profiles and their PIPL rights (my
// data), and runs the settings watcher and the retention jobs.
//
// The admin, profile and my-data features read alarms through small
// interfaces; the adapters below implement them with the alarm service's
// exported API (List, Access, Messages).
func wireAdmin(a *App) error {
	st := a.settings
	alarms := &alarmRef{a: a}

	adm, err := admin.New(admin.Deps{
		DB: a.DB, Audit: a.Audit, Accounts: a.Accounts, Settings: st, Bus: a.Bus,
		ReloadRouting: a.ReloadRouting, Locator: a.Router,
		Alarms: dashboardAlarms{alarms}, Purgers: []admin.Purger{alarmPurger{alarms}, guardianPurger{a}, mediaPurger{a}}, Now: a.Now, Log: a.Log,
	})
	if err != nil {
		return err
	}
	adm.Register(a.Mux)
	a.AddRunner(adm.Run)
	a.AddOpenAPI(admin.OpenAPI)

	store, err := profile.NewStore(a.DB, a.Secret, a.Now)
	if err != nil {
		return err
	}
	(&profile.Service{Store: store, DB: a.DB, Audit: a.Audit, Alarms: profileAccess{alarms}}).Register(a.Mux)
	a.AddOpenAPI(profile.OpenAPI)

	md := &mydata.Service{
		DB: a.DB, Audit: a.Audit, Accounts: a.Accounts, Now: a.Now, Log: a.Log,
		Sources: myDataSources(a, alarms, store),
		// Police reads of a trip under an undisclosed duress alarm stay out
		// of the traveller's access log, as in guardian's own view.
		Withhold: func(ctx context.Context, citizenID string) (func(audit.Entry) bool, error) {
			if a.guardian == nil {
				return func(audit.Entry) bool { return false }, nil
			}
			return a.guardian.Withheld(ctx, citizenID)
		},
	}
	md.Register(a.Mux)
	a.AddOpenAPI(mydata.OpenAPI)
	return nil
}

// wireSettings loads the run-time settings (saved on any node, applied on
// every node through a bus wake-up) before the features that read them.
func wireSettings(a *App) error {
	st := settings.New(a.DB, a.Bus, a.Now, a.Log)
	if err := st.Load(context.Background()); err != nil {
		return err
	}
	a.AddRunner(st.Run)
	a.settings = st
	return nil
}

// Settings returns the node's run-time settings (overflow times, quick
// phrases, retention, rate limits, SMS gateway, TURN): Get() is the
// version in force, OnChange(fn) runs fn on every new version (saved on
// any node).
func (a *App) Settings() *settings.Store { return a.settings }

// alarmRef reaches the node's alarm service (wired before admin).
type alarmRef struct{ a *App }

func (r *alarmRef) get() *alarm.Service { return r.a.Alarms() }

// dashboardAlarms adapts alarm.ListWindow to the dashboard: every alarm
// the supervisor may see raised in the window, page by page, with the first
// answer (a release and re-answer moves AnsweredAt, not the first answer)
// and whether the caller was ever gone before an answer.
type dashboardAlarms struct{ ref *alarmRef }

// maxDashboardAlarms bounds one dashboard read (a province's busiest day
// is far below it); past it the figures would be cut, so it fails instead.
const maxDashboardAlarms = 200_000

var errDashboardTooBig = apperr.New(apperr.Unavailable, "dashboard_too_large", "too many alarms in the window for one dashboard; choose a smaller area")

func (d dashboardAlarms) DashboardAlarms(ctx context.Context, p account.Principal, from, to time.Time) ([]admin.AlarmRecord, error) {
	var out []admin.AlarmRecord
	cursor := ""
	for {
		page, next, err := d.ref.get().ListWindow(ctx, p, from, to, cursor, alarm.MaxWindowPage)
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			r := admin.AlarmRecord{ID: x.ID, Kind: string(x.Kind), State: string(x.State), Center: x.Center.Code,
				RaisedAt: x.RaisedAt, AnsweredBy: x.FirstAnsweredBy, Abandoned: x.WasAbandoned || x.State == alarm.Abandoned}
			if x.FirstAnsweredAt != nil {
				r.AnsweredAt = *x.FirstAnsweredAt
			}
			if x.EndedAt != nil {
				r.EndedAt = *x.EndedAt
			}
			if x.Location != nil {
				r.HasPos, r.Lat, r.Lng = true, x.Location.Lat, x.Location.Lng
			}
			out = append(out, r)
		}
		if next == "" {
			return out, nil
		}
		if len(out) >= maxDashboardAlarms {
			return nil, errDashboardTooBig
		}
		cursor = next
	}
}

// profileAccess adapts alarm.Access: only the answering dispatcher of an
// alarm raised by a registered citizen gets that citizen's id.
type profileAccess struct{ ref *alarmRef }

var errNotAnswering = apperr.New(apperr.Forbidden, "not_answering", "you see a caller's profile only while you are answering their alarm")

func (pa profileAccess) AnsweringCaller(ctx context.Context, p account.Principal, alarmID string) (string, error) {
	acc, err := pa.ref.get().Access(ctx, p, alarmID)
	if err != nil {
		return "", err
	}
	if !acc.Answerer {
		return "", errNotAnswering
	}
	if acc.CallerID == "" {
		return "", profile.ErrNoProfile
	}
	return acc.CallerID, nil
}

// alarmData is the citizen's alarms for "my data": every alarm they raised
// (or raised for them), with its chat. Alarms are police records: deletion
// keeps them all, open ones as open cases, the rest under legal retention.
type alarmData struct{ ref *alarmRef }

func (alarmData) Name() string { return "alarms" }

type myAlarm struct {
	alarm.Alarm
	Messages []alarm.Message `json:"messages"`
}

func (d alarmData) Export(ctx context.Context, citizenID string) (any, error) {
	p := account.Principal{Kind: account.Citizen, ID: citizenID}
	list, err := citizenAlarms(ctx, d.ref, citizenID)
	if err != nil {
		return nil, err
	}
	out := []myAlarm{}
	for _, x := range list {
		ms, err := d.ref.get().Messages(ctx, p, x.ID, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, myAlarm{Alarm: x, Messages: ms})
	}
	return out, nil
}

func (d alarmData) Delete(ctx context.Context, citizenID string, _ bool) ([]mydata.Hold, error) {
	list, err := citizenAlarms(ctx, d.ref, citizenID)
	if err != nil {
		return nil, err
	}
	holds := []mydata.Hold{}
	for _, x := range list {
		h := mydata.Hold{Source: "alarm", Kind: "alarm", ID: x.ID, Reason: mydata.ReasonLegalRetention,
			Detail: "报警记录属于公安机关接处警档案，依法保存 / alarm records are police records kept by law"}
		if x.State == alarm.Queued || x.State == alarm.Answered {
			h.Reason, h.Detail = mydata.ReasonOpenCase, "警情尚未办结 / the alarm is still being handled"
		}
		holds = append(holds, h)
	}
	return holds, nil
}

// profileData is the emergency profile for "my data"; nothing holds it.
type profileData struct {
	store *profile.Store
	a     *App
}

func (profileData) Name() string { return "profile" }

func (d profileData) Export(ctx context.Context, citizenID string) (any, error) {
	p, err := d.store.Get(ctx, citizenID)
	if errors.Is(err, profile.ErrNoProfile) {
		return nil, nil
	}
	return p, err
}

func (d profileData) Delete(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error) {
	if dryRun {
		return nil, nil
	}
	return nil, d.store.Delete(ctx, d.a.DB, citizenID)
}
