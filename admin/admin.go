// Package admin is how a province runs open110: administrators manage the
// unit tree (which counties run their own 110 centre), officers and the
// run-time settings; supervisors and administrators read and export the
// audit log and verify its chain, and watch the picture of the day
// (answer times, alarms per hour, queue, abandoned share, dispatcher load,
// where alarms came from). It also runs the retention jobs. Every change an
// administrator makes is audited in the same transaction as the change.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"open110/account"
	"open110/admin/settings"
	"open110/audit"
	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/bus"
	"open110/platform/db"
)

// RoutingSubject is the bus subject that tells every node to reload which
// counties run their own centre.
const RoutingSubject = "config.routing"

// Locator finds the county-level unit containing a WGS-84 point (geo's router).
type Locator interface {
	Route(lat, lng float64) (geo.Route, error)
}

// Deps are what the admin feature runs on. Alarms and Purgers may be nil
// or empty: the dashboard then answers 503 feature_unavailable, and the
// retention job purges only what the account service keeps.
type Deps struct {
	DB       *db.DB
	Audit    *audit.Log
	Accounts *account.Service
	Settings *settings.Store
	Bus      bus.Bus
	// ReloadRouting re-reads the active counties into this node's router.
	ReloadRouting func(ctx context.Context) error
	Locator       Locator
	Alarms        AlarmSource
	Purgers       []Purger
	Now           func() time.Time
	Log           *slog.Logger
}

// Service is the admin feature.
type Service struct {
	Deps
}

// New returns the admin feature. DB, Audit, Accounts and Settings are required.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Audit == nil || d.Accounts == nil || d.Settings == nil {
		return nil, errors.New("admin: DB, Audit, Accounts and Settings are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.Log = d.Log.With("feature", "admin")
	return &Service{Deps: d}, nil
}

// Register adds the admin, audit and dashboard endpoints to mux.
func (s *Service) Register(mux *http.ServeMux) {
	// Unit tree and routing (admins).
	mux.HandleFunc("GET /api/v1/admin/centers", s.handleCenters)
	mux.HandleFunc("PUT /api/v1/admin/centers/{code}", s.handleSetCenter)
	// Officers (admins).
	mux.HandleFunc("GET /api/v1/admin/officers", s.handleOfficers)
	mux.HandleFunc("POST /api/v1/admin/officers", s.handleCreateOfficer)
	mux.HandleFunc("PATCH /api/v1/admin/officers/{username}", s.handleUpdateOfficer)
	mux.HandleFunc("POST /api/v1/admin/officers/{username}/password", s.handleResetPassword)
	mux.HandleFunc("POST /api/v1/admin/officers/{username}/totp", s.handleEnrolTOTP)
	mux.HandleFunc("POST /api/v1/admin/officers/{username}/totp/confirm", s.handleConfirmTOTP)
	mux.HandleFunc("DELETE /api/v1/admin/officers/{username}/totp", s.handleResetTOTP)
	// Settings (province admins write; admins read).
	mux.HandleFunc("GET /api/v1/admin/settings", s.handleSettings)
	mux.HandleFunc("PUT /api/v1/admin/settings", s.handleSaveSettings)
	mux.HandleFunc("GET /api/v1/admin/settings/history", s.handleSettingsHistory)
	// Retention (admins): run now, for the console's button.
	mux.HandleFunc("POST /api/v1/admin/retention/run", s.handleRetentionRun)
	// Audit viewer (supervisors and admins).
	mux.HandleFunc("GET /api/v1/audit", s.handleAuditList)
	mux.HandleFunc("GET /api/v1/audit/export", s.handleAuditExport)
	mux.HandleFunc("GET /api/v1/audit/verify", s.handleAuditVerify)
	// Supervisors' picture of the day.
	mux.HandleFunc("GET /api/v1/dashboard", s.handleDashboard)
	mux.HandleFunc("GET /api/v1/dashboard/{chart}", s.handleDashboardCSV)
}

// Run keeps routing and settings in step with other nodes and runs the
// retention jobs until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if s.Bus != nil && s.ReloadRouting != nil {
		cancel, err := s.Bus.Subscribe(RoutingSubject, func(string, []byte) {
			// On the bus goroutine: the reload is a short query and a
			// pointer swap in the router.
			rctx, c := context.WithTimeout(context.Background(), 10*time.Second)
			defer c()
			if err := s.ReloadRouting(rctx); err != nil {
				s.Log.Error("reload routing after wake-up", "err", err)
			}
		})
		if err != nil {
			return fmt.Errorf("admin: subscribe routing: %w", err)
		}
		defer cancel()
	}
	return s.runRetention(ctx)
}

// inArea reports whether an officer at centre home may manage or watch
// unit code: the province everything, a city its own counties, a county
// itself.
func inArea(home, code string) bool {
	switch {
	case home == geo.ProvinceCode:
		return true
	case len(home) == 6 && strings.HasSuffix(home, "00"):
		return len(code) == 6 && code[:4] == home[:4]
	}
	return home == code
}

func requireAdmin(r *http.Request) (account.Principal, error) {
	return account.RequireOfficer(r, account.Admin)
}

func requireWatcher(r *http.Request) (account.Principal, error) {
	return account.RequireOfficer(r, account.Supervisor, account.Admin)
}

// entry is the audit entry of p's request.
func entry(r *http.Request, p account.Principal, action, object string) audit.Entry {
	return audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r), Action: action, Object: object}
}

var errOutsideArea = apperr.New(apperr.Forbidden, "outside_your_area", "that is outside the area you administer")

func fail(w http.ResponseWriter, r *http.Request, err error) { api.Fail(w, r, err) }
