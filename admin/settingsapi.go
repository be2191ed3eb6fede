package admin

import (
	"net/http"
	"strconv"

	"open110/account"
	"open110/admin/settings"
	"open110/platform/api"
	"open110/platform/db"
)

// handleSettings shows the settings in force (secrets masked) and their
// version, which a save must name as its base.
func (s *Service) handleSettings(w http.ResponseWriter, r *http.Request) {
	if _, err := requireAdmin(r); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.Settings.Load(r.Context()); err != nil {
		fail(w, r, err)
		return
	}
	v := s.Settings.Current()
	v.Settings = v.Settings.Mask()
	api.JSON(w, http.StatusOK, map[string]any{"current": v, "defaults": settings.Defaults()})
}

// handleSaveSettings saves a new version. Only province administrators
// change province-wide rules.
func (s *Service) handleSaveSettings(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if p.Center != account.ProvinceCenter {
		fail(w, r, errOutsideArea.Msg("settings apply to the whole province; only a province administrator changes them"))
		return
	}
	var req struct {
		BaseVersion *int64            `json:"base_version"`
		Settings    settings.Settings `json:"settings"`
		Note        string            `json:"note"`
	}
	if err := api.Decode(w, r, &req, 64<<10); err != nil {
		fail(w, r, err)
		return
	}
	if req.BaseVersion == nil {
		fail(w, r, errMissing("base_version"))
		return
	}
	before := s.Settings.Current()
	var v settings.Version
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		var err error
		v, err = s.Settings.Save(r.Context(), tx, *req.BaseVersion, req.Settings, p.Actor(), req.Note)
		if err != nil {
			return err
		}
		e := entry(r, p, "admin.settings.save", "settings:"+strconv.FormatInt(v.Version, 10))
		e.Reason = trimReason(req.Note)
		e.Detail = map[string]any{"changed": changedFields(before.Settings, v.Settings)}
		_, err = s.Audit.AppendTx(r.Context(), tx, e)
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	s.Settings.Publish(r.Context())
	v.Settings = v.Settings.Mask()
	api.JSON(w, http.StatusOK, map[string]any{"current": v})
}

func (s *Service) handleSettingsHistory(w http.ResponseWriter, r *http.Request) {
	if _, err := requireAdmin(r); err != nil {
		fail(w, r, err)
		return
	}
	hs, err := s.Settings.History(r.Context(), 50)
	if err != nil {
		fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"versions": hs})
}

// changedFields names the top-level settings that differ (secrets by name
// only, never by value).
func changedFields(a, b settings.Settings) []string {
	var out []string
	ja, jb := flat(a), flat(b)
	for k, v := range jb {
		if ja[k] != v {
			out = append(out, k)
		}
	}
	if out == nil {
		out = []string{}
	}
	return sortStrings(out)
}
