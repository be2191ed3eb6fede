package admin

import (
	"context"
	"fmt"
	"net/http"

	"open110/account"
	"open110/platform/api"
	"open110/platform/db"
)

// CenterRow is one unit of the tree as administrators see it.
type CenterRow struct {
	account.Center
	Officers int `json:"officers"` // enabled officers belonging to it
}

func (s *Service) officerCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.Query(ctx, "SELECT center_code, COUNT(*) FROM officers WHERE disabled = 0 GROUP BY center_code")
	if err != nil {
		return nil, fmt.Errorf("admin: count officers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, fmt.Errorf("admin: count officers: %w", err)
		}
		out[c] = n
	}
	return out, rows.Err()
}

// handleCenters lists the units in the admin's area with whether each runs
// its own centre and how many officers it has.
func (s *Service) handleCenters(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	cs, err := s.Accounts.ListCenters(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	counts, err := s.officerCounts(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := []CenterRow{}
	for _, c := range cs {
		if inArea(p.Center, c.Code) || c.Code == p.Center {
			out = append(out, CenterRow{Center: c, Officers: counts[c.Code]})
		}
	}
	api.JSON(w, http.StatusOK, map[string]any{"centers": out})
}

// handleSetCenter makes a county run its own 110 centre (or stop). Routing
// follows at once on this node and, through the bus, on every other.
func (s *Service) handleSetCenter(w http.ResponseWriter, r *http.Request) {
	p, err := requireAdmin(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	code := r.PathValue("code")
	if !inArea(p.Center, code) {
		fail(w, r, errOutsideArea)
		return
	}
	var req struct {
		Active *bool  `json:"active"`
		Reason string `json:"reason"`
	}
	if err := api.Decode(w, r, &req, 4096); err != nil {
		fail(w, r, err)
		return
	}
	if req.Active == nil {
		fail(w, r, errMissing("active"))
		return
	}
	err = s.DB.InTx(r.Context(), func(tx *db.Tx) error {
		before, err := s.Accounts.GetCenter(r.Context(), code)
		if err != nil {
			return err
		}
		if err := s.Accounts.SetCenterActive(r.Context(), tx, code, *req.Active); err != nil {
			return err
		}
		e := entry(r, p, "admin.center.set_active", "center:"+code)
		e.Reason = trimReason(req.Reason)
		e.Detail = map[string]any{"active": *req.Active, "was_active": before.Active}
		_, err = s.Audit.AppendTx(r.Context(), tx, e)
		return err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	s.routingChanged(r.Context())
	c, err := s.Accounts.GetCenter(r.Context(), code)
	if err != nil {
		fail(w, r, err)
		return
	}
	counts, err := s.officerCounts(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	// Officers of a county that stopped running its centre have no queue:
	// the console asks the administrator to move or disable them.
	api.JSON(w, http.StatusOK, CenterRow{Center: c, Officers: counts[code]})
}

// routingChanged reloads this node's router and wakes the other nodes.
func (s *Service) routingChanged(ctx context.Context) {
	if s.ReloadRouting != nil {
		if err := s.ReloadRouting(ctx); err != nil {
			s.Log.Error("reload routing", "err", err)
		}
	}
	if s.Bus != nil {
		if err := s.Bus.Publish(ctx, RoutingSubject, []byte("centers")); err != nil {
			s.Log.Warn("publish routing wake-up", "err", err)
		}
	}
}

func trimReason(s string) string {
	r := []rune(s)
	if len(r) > 500 {
		r = r[:500]
	}
	return string(r)
}
