package admin

import (
	"context"
	"errors"
	"net/http"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

func errMissing(field string) error {
	return apperr.New(apperr.Invalid, "missing_field", field+" is required").With("field", field)
}

// handleOfficers lists the officers of the admin's area, or of ?center=.
func (s *Service) handleOfficers(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	center := r.URL.Query().Get("center")
	if center != "" && !inArea(p.Center, center) {
		fail(w, r, errOutsideArea)
		return
	}
	all, err := s.Accounts.ListOfficers(r.Context(), center)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := []account.OfficerAccount{}
	for _, o := range all {
		if inArea(p.Center, o.Center) {
			out = append(out, o)
		}
	}
	api.JSON(w, http.StatusOK, map[string]any{"officers": out})
}

// officerInArea loads username and checks the admin may manage them.
// Errors: officer_not_found (also for officers outside the area, so the
// answer does not reveal who exists elsewhere).
// adminOfficer returns the signed-in admin and the officer named in the
// path, once the officer is in the admin's area (before any body is read).
func (s *Service) adminOfficer(r *http.Request) (account.Principal, account.OfficerAccount, error) {
	p, err := requireAdmin(r)
	if err != nil {
		return p, account.OfficerAccount{}, err
	}
	o, err := s.officerInArea(r.Context(), p, r.PathValue("username"))
	return p, o, err
}

func (s *Service) officerInArea(ctx context.Context, p account.Principal, username string) (account.OfficerAccount, error) {
	o, err := s.Accounts.GetOfficer(ctx, username)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return o, account.ErrOfficerNotFound
		}
		return o, err
	}
	if !inArea(p.Center, o.Center) {
		return o, account.ErrOfficerNotFound
	}
	return o, nil
}

func (s *Service) handleCreateOfficer(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var req struct {
		Username string `json:"username"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Center   string `json:"center"`
		Password string `json:"password"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		fail(w, r, err)
		return
	}
	if req.Center == "" {
		fail(w, r, errMissing("center"))
		return
	}
	if !inArea(p.Center, req.Center) {
		fail(w, r, errOutsideArea)
		return
	}
	// Only a province admin creates admins; nobody creates an officer with
	// more reach than their own.
	if account.Role(req.Role) == account.Admin && p.Center != account.ProvinceCenter {
		fail(w, r, errOutsideArea.Msg("only a province administrator creates administrators"))
		return
	}
	c, err := s.Accounts.GetCenter(r.Context(), req.Center)
	if err != nil {
		fail(w, r, err)
		return
	}
	if !c.Active {
		fail(w, r, account.ErrCenterInactive)
		return
	}
	var o account.OfficerAccount
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		var err error
		o, err = s.Accounts.CreateOfficer(r.Context(), tx, account.NewOfficer{Username: req.Username, Name: req.Name,
			Role: account.Role(req.Role), Center: req.Center, Password: req.Password})
		if err != nil {
			return err
		}
		e := entry(r, p, "admin.officer.create", "officer:"+o.Username)
		e.Detail = map[string]any{"role": o.Role, "center": o.Center, "name": o.Name}
		_, err = s.Audit.AppendTx(r.Context(), tx, e)
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, o)
}

// handleUpdateOfficer changes any of name, role, centre and disabled, all
// in one transaction with one audit entry naming each change.
func (s *Service) handleUpdateOfficer(w http.ResponseWriter, r *http.Request) {
	p, o, err := s.adminOfficer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var req struct {
		Name     *string `json:"name"`
		Role     *string `json:"role"`
		Center   *string `json:"center"`
		Disabled *bool   `json:"disabled"`
		Reason   string  `json:"reason"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		fail(w, r, err)
		return
	}
	if o.Username == p.Username && (req.Disabled != nil && *req.Disabled || req.Role != nil && *req.Role != string(p.Role)) {
		fail(w, r, apperr.New(apperr.Conflict, "cannot_change_self", "you cannot disable yourself or change your own role"))
		return
	}
	if req.Center != nil && !inArea(p.Center, *req.Center) {
		fail(w, r, errOutsideArea)
		return
	}
	if req.Role != nil && account.Role(*req.Role) == account.Admin && p.Center != account.ProvinceCenter {
		fail(w, r, errOutsideArea.Msg("only a province administrator appoints administrators"))
		return
	}
	changes := map[string]any{}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		ctx := r.Context()
		if req.Name != nil && *req.Name != o.Name {
			if err := s.Accounts.SetOfficerName(ctx, tx, o.Username, *req.Name); err != nil {
				return err
			}
			changes["name"] = map[string]any{"from": o.Name, "to": *req.Name}
		}
		if req.Role != nil && *req.Role != string(o.Role) {
			if err := s.Accounts.SetRole(ctx, tx, o.Username, account.Role(*req.Role)); err != nil {
				return err
			}
			changes["role"] = map[string]any{"from": o.Role, "to": *req.Role}
		}
		if req.Center != nil && *req.Center != o.Center {
			if err := s.Accounts.MoveOfficer(ctx, tx, o.Username, *req.Center); err != nil {
				return err
			}
			changes["center"] = map[string]any{"from": o.Center, "to": *req.Center}
		}
		if req.Disabled != nil && *req.Disabled != o.Disabled {
			if err := s.Accounts.SetOfficerDisabled(ctx, tx, o.Username, *req.Disabled); err != nil {
				return err
			}
			changes["disabled"] = map[string]any{"from": o.Disabled, "to": *req.Disabled}
		}
		if len(changes) == 0 {
			return nil
		}
		e := entry(r, p, "admin.officer.update", "officer:"+o.Username)
		e.Reason = trimReason(req.Reason)
		e.Detail = changes
		_, err := s.Audit.AppendTx(ctx, tx, e)
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	o, err = s.Accounts.GetOfficer(r.Context(), o.Username)
	if err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, o)
}

func (s *Service) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	p, o, err := s.adminOfficer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var req struct {
		Password string `json:"password"`
		Reason   string `json:"reason"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		fail(w, r, err)
		return
	}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := s.Accounts.ResetPassword(r.Context(), tx, o.Username, req.Password); err != nil {
			return err
		}
		e := entry(r, p, "admin.officer.password_reset", "officer:"+o.Username)
		e.Reason = trimReason(req.Reason)
		_, err := s.Audit.AppendTx(r.Context(), tx, e)
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleEnrolTOTP gives the officer a new authenticator secret (shown once,
// as text and otpauth URL for a QR code). It is not in force until
// confirmed with a code from the officer's device.
func (s *Service) handleEnrolTOTP(w http.ResponseWriter, r *http.Request) {
	p, o, err := s.adminOfficer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	secret, url, err := s.Accounts.EnrollTOTP(r.Context(), o.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	if _, err := s.Audit.Append(r.Context(), entry(r, p, "admin.officer.totp_enrol", "officer:"+o.Username)); err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]string{"secret": secret, "otpauth_url": url})
}

func (s *Service) handleConfirmTOTP(w http.ResponseWriter, r *http.Request) {
	p, o, err := s.adminOfficer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(w, r, &req, 1024); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.Accounts.ConfirmTOTP(r.Context(), o.ID, req.Code); err != nil {
		fail(w, r, err)
		return
	}
	if _, err := s.Audit.Append(r.Context(), entry(r, p, "admin.officer.totp_confirm", "officer:"+o.Username)); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleResetTOTP(w http.ResponseWriter, r *http.Request) {
	p, o, err := s.adminOfficer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := s.Accounts.ResetTOTP(r.Context(), tx, o.Username); err != nil {
			return err
		}
		_, err := s.Audit.AppendTx(r.Context(), tx, entry(r, p, "admin.officer.totp_reset", "officer:"+o.Username))
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
