package profile

import (
	"context"
	"errors"
	"net/http"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

// AlarmAccess answers whether an officer is, right now, the answering
// dispatcher of an alarm raised by a citizen, and which citizen. The
// wiring adapts the alarm service's Access method to it.
type AlarmAccess interface {
	// AnsweringCaller returns the citizen id of the alarm's caller when p is
	// its answering dispatcher. Errors: forbidden (p is not answering it),
	// not_found (no such alarm or no registered caller, e.g. SMS).
	AnsweringCaller(ctx context.Context, p account.Principal, alarmID string) (citizenID string, err error)
}

// Service is the profile feature's HTTP face.
type Service struct {
	Store  *Store
	DB     *db.DB
	Audit  *audit.Log
	Alarms AlarmAccess // nil: dispatchers cannot see profiles (503)
}

// Register adds the profile endpoints.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/profile", s.handleGet)
	mux.HandleFunc("PUT /api/v1/profile", s.handlePut)
	mux.HandleFunc("DELETE /api/v1/profile", s.handleDelete)
	mux.HandleFunc("GET /api/v1/profile/alarms/{id}", s.handleForAlarm)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	prof, err := s.Store.Get(r.Context(), p.ID)
	if errors.Is(err, ErrNoProfile) {
		api.JSON(w, http.StatusOK, map[string]any{"exists": false, "profile": emptyProfile(), "disability_codes": Disabilities, "blood_types": BloodTypes})
		return
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"exists": true, "profile": prof, "disability_codes": Disabilities, "blood_types": BloodTypes})
}

func emptyProfile() Profile {
	return Profile{Allergies: []string{}, Conditions: []string{}, Medications: []string{}, Languages: []string{}, Disabilities: []string{}, Contacts: []Contact{}}
}

func (s *Service) handlePut(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	in := emptyProfile()
	if err := api.Decode(w, r, &in, 32<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	var out Profile
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		var err error
		if out, err = s.Store.Put(r.Context(), tx, p.ID, in); err != nil {
			return err
		}
		// The entry names what kind of data changed, never its content.
		_, err = s.Audit.AppendTx(r.Context(), tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
			Action: "profile.update", Object: "profile:" + p.ID, Subject: p.Actor()})
		return err
	})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"exists": !out.Empty(), "profile": out})
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := s.Store.Delete(r.Context(), tx, p.ID); err != nil {
			return err
		}
		_, err := s.Audit.AppendTx(r.Context(), tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
			Action: "profile.delete", Object: "profile:" + p.ID, Subject: p.Actor()})
		return err
	})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleForAlarm shows the caller's profile to the answering dispatcher of
// the alarm, and audits the display (actor, sign-in IP, request IP, the
// alarm as the reason) with the citizen as the subject.
func (s *Service) handleForAlarm(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r, account.Dispatcher)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if s.Alarms == nil {
		api.Fail(w, r, apperr.New(apperr.Unavailable, "feature_unavailable", "alarms are not available on this node"))
		return
	}
	alarmID := r.PathValue("id")
	citizenID, err := s.Alarms.AnsweringCaller(r.Context(), p, alarmID)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	prof, err := s.Store.Get(r.Context(), citizenID)
	if errors.Is(err, ErrNoProfile) {
		// No profile: nothing is shown, so nothing is audited.
		api.JSON(w, http.StatusOK, map[string]any{"exists": false, "alarm_id": alarmID})
		return
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := s.Audit.Append(r.Context(), audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
		Action: "profile.view", Object: "alarm:" + alarmID, Subject: "citizen:" + citizenID,
		Reason: "answering dispatcher of alarm " + alarmID}); err != nil {
		// Not shown unless the display is on record.
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"exists": true, "alarm_id": alarmID, "profile": prof, "text_first": prof.TextFirst()})
}
