// Package mydata gives each citizen their rights under the Personal
// Information Protection Law (PIPL arts. 44–47): see what the platform
// holds about them (alarms, trips, tips, notices, profile) with its
// state; see who accessed their data and when (from the audit log, by
// subject; identity reveals of their tips are counted, not named); export
// everything as one file; and delete their account and data except what an
// open case or a legal retention duty holds — each such record is listed
// with the reason it is kept.
package mydata

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

// Hold is a record kept after a deletion request, and why.
type Hold struct {
	Source string `json:"source"` // the feature, e.g. "alarm"
	Kind   string `json:"kind"`   // e.g. "alarm", "trip", "tip"
	ID     string `json:"id"`
	Reason string `json:"reason"` // stable code: open_case, legal_retention, evidence
	Detail string `json:"detail,omitempty"`
}

// Hold reasons.
const (
	ReasonOpenCase       = "open_case"       // the case is not closed yet
	ReasonLegalRetention = "legal_retention" // police records kept by law
	ReasonEvidence       = "evidence"        // evidence under its retention period
)

// Source is one feature's part of a citizen's data.
type Source interface {
	// Name is the section name in the overview and the export ("alarms").
	Name() string
	// Export returns everything the feature holds about the citizen, as
	// the citizen may see it (JSON-encodable).
	Export(ctx context.Context, citizenID string) (any, error)
	// Delete removes the citizen's data the feature may delete and returns
	// what it keeps and why. With dryRun it only reports what it would keep.
	Delete(ctx context.Context, citizenID string, dryRun bool) ([]Hold, error)
}

// Service is the my-data feature.
type Service struct {
	DB       *db.DB
	Audit    *audit.Log
	Accounts *account.Service
	Sources  []Source
	// Missing names features whose data the export cannot include yet; the
	// overview and the export say so rather than pretending completeness.
	Missing []string
	// Withhold, when set, names audit entries about the citizen that the
	// access log must not show yet (guardian: police reads of a trip under
	// an undisclosed duress alarm — whoever forced the traveller may hold
	// the phone). It returns a predicate over entries.
	Withhold func(ctx context.Context, citizenID string) (func(audit.Entry) bool, error)
	Now      func() time.Time
	Log      *slog.Logger
}

// Register adds the endpoints (citizens only).
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/mydata", s.handleOverview)
	mux.HandleFunc("GET /api/v1/mydata/access", s.handleAccess)
	mux.HandleFunc("GET /api/v1/mydata/export", s.handleExport)
	mux.HandleFunc("GET /api/v1/mydata/deletion", s.handleDeletionPreview)
	mux.HandleFunc("POST /api/v1/mydata/deletion", s.handleDelete)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) collect(ctx context.Context, p account.Principal) (map[string]any, map[string]string) {
	out := map[string]any{}
	errs := map[string]string{}
	for _, src := range s.Sources {
		v, err := src.Export(ctx, p.ID)
		if err != nil {
			errs[src.Name()] = apperr.From(err).Message
			if s.Log != nil {
				s.Log.Error("mydata: export section", "source", src.Name(), "err", err)
			}
			continue
		}
		out[src.Name()] = v
	}
	return out, errs
}

// handleOverview is "my data": every section with its states.
func (s *Service) handleOverview(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	acct, err := s.Accounts.Citizen(r.Context(), p.ID)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	sections, errs := s.collect(r.Context(), p)
	api.JSON(w, http.StatusOK, map[string]any{"account": acct, "sections": sections, "errors": errs, "not_included": s.missing()})
}

func (s *Service) missing() []string {
	if s.Missing == nil {
		return []string{}
	}
	return s.Missing
}

// AccessEntry is one access to the citizen's data by someone else.
type AccessEntry struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	By     string    `json:"by"` // "officer:<username>", "system", …
	Reason string    `json:"reason,omitempty"`
}

// identityReveal is the audit action of a handling officer revealing a
// tipster's identity. The tipster learns how often, not by whom: naming
// the officer could endanger an investigation.
func identityReveal(action string) bool {
	return strings.Contains(action, "identity")
}

// handleAccess lists who accessed the citizen's data and when.
func (s *Service) handleAccess(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	entries, reveals, err := s.accessLog(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"entries": entries, "identity_reveals": reveals})
}

func (s *Service) accessLog(ctx context.Context, p account.Principal) ([]AccessEntry, map[string]int, error) {
	out := []AccessEntry{}
	reveals := map[string]int{} // object (e.g. "tip:<id>") → count
	hide := func(audit.Entry) bool { return false }
	if s.Withhold != nil {
		h, err := s.Withhold(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		hide = h
	}
	f := audit.Filter{Subject: p.Actor(), Limit: 1000}
	for i := 0; i < 50; i++ { // at most 50 000 entries
		es, err := s.Audit.List(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			if e.Actor == p.Actor() || hide(e) {
				continue // the citizen's own actions are not "access by others"
			}
			if identityReveal(e.Action) {
				reveals[e.Object]++
				continue
			}
			out = append(out, AccessEntry{At: e.At, Action: e.Action, Object: e.Object, By: e.Actor, Reason: e.Reason})
		}
		if len(es) < f.Limit {
			break
		}
		f.AfterSeq = es[len(es)-1].Seq
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, reveals, nil
}

// handleExport returns everything as one JSON file (an attachment). The
// export is audited.
func (s *Service) handleExport(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	acct, err := s.Accounts.Citizen(r.Context(), p.ID)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	sections, errs := s.collect(r.Context(), p)
	access, reveals, err := s.accessLog(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := s.Audit.Append(r.Context(), audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
		Action: "mydata.export", Object: p.Actor(), Subject: p.Actor()}); err != nil {
		api.Fail(w, r, err)
		return
	}
	now := s.now().UTC()
	w.Header().Set("Content-Disposition", `attachment; filename="open110-my-data-`+now.Format("20060102")+`.json"`)
	api.JSON(w, http.StatusOK, map[string]any{
		"format":           "open110.mydata.v1",
		"exported_at":      now.Format(time.RFC3339),
		"account":          acct,
		"sections":         sections,
		"errors":           errs,
		"not_included":     s.missing(),
		"access_log":       access,
		"identity_reveals": reveals,
	})
}

// handleDeletionPreview says what a deletion would keep and why.
func (s *Service) handleDeletionPreview(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	holds, err := s.deleteAll(r.Context(), p.ID, true)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"kept": holds, "not_included": s.missing()})
}

func (s *Service) deleteAll(ctx context.Context, citizenID string, dryRun bool) ([]Hold, error) {
	holds := []Hold{}
	var errs []error
	for _, src := range s.Sources {
		hs, err := src.Delete(ctx, citizenID, dryRun)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		holds = append(holds, hs...)
	}
	return holds, errors.Join(errs...)
}

// ErrConfirm: the deletion was not confirmed.
var ErrConfirm = apperr.New(apperr.Invalid, "confirmation_required", `send {"confirm": "DELETE"} to delete your account`)

// handleDelete deletes the account and the data no hold keeps, then signs
// the citizen out everywhere. The answer lists what was kept and why.
func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var req struct {
		Confirm string `json:"confirm"`
	}
	if err := api.Decode(w, r, &req, 1024); err != nil {
		api.Fail(w, r, err)
		return
	}
	if req.Confirm != "DELETE" {
		api.Fail(w, r, ErrConfirm)
		return
	}
	holds, err := s.deleteAll(r.Context(), p.ID, false)
	if err != nil {
		// Some feature could not delete: the account stays so the citizen
		// can try again; what was deleted is gone.
		api.Fail(w, r, apperr.New(apperr.Unavailable, "deletion_incomplete", "some of your data could not be deleted; please try again").Wrap(err))
		return
	}
	kept := map[string]int{}
	for _, h := range holds {
		kept[h.Reason]++
	}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := s.Accounts.DeleteCitizen(r.Context(), tx, p.ID); err != nil {
			return err
		}
		_, err := s.Audit.AppendTx(r.Context(), tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
			Action: "mydata.delete", Object: p.Actor(), Subject: p.Actor(), Detail: map[string]any{"kept": kept, "kept_total": len(holds)}})
		return err
	})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"deleted": true, "kept": holds})
}
