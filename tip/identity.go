package tip

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"open110/account"
	"open110/platform/blob"
)

// Reveal opens the sealed identity of a tip for its assigned handling
// officer, who must give a reason. The reveal is written to the audit log
// first (time, account, sign-in IP, request IP, reason) and only then
// decrypted; a refused attempt by another officer who can see the tip is
// logged too. Errors: tip_not_found, reason_required,
// not_assigned_handler, invalid_state (closed), tip_anonymous.
func (s *Service) Reveal(ctx context.Context, p account.Principal, id, ip, reason string) (Identity, error) {
	reason = strings.TrimSpace(reason)
	t, err := s.revealer(ctx, p, id, ip, reason)
	if err != nil {
		return Identity{}, err
	}
	if n := utf8.RuneCountInString(reason); n < 5 || n > 500 || !utf8.ValidString(reason) {
		return Identity{}, ErrReasonRequired
	}
	if t.State == Closed {
		return Identity{}, ErrState.With("state", t.State)
	}
	if t.sealed.KeyID == "" {
		return Identity{}, ErrAnonymous
	}
	if _, err := s.audit.Append(ctx, officerEntry(p, ip, "tip.identity.reveal", id, reason, map[string]any{"key_id": t.sealed.KeyID})); err != nil {
		return Identity{}, err
	}
	plain, err := s.keys.Open(t.sealed, "tip:"+id)
	if err != nil {
		return Identity{}, internal("open identity", err)
	}
	var ident Identity
	if err := json.Unmarshal(plain, &ident); err != nil {
		return Identity{}, internal("identity", err)
	}
	return ident, nil
}

// revealer loads a tip whose identity p may reveal: tip_not_found when p
// may not see it, not_assigned_handler when p sees it but is not its
// assigned handler — an attempt written to the audit log
// (tip.identity.denied, with the reason given, if any).
func (s *Service) revealer(ctx context.Context, p account.Principal, id, ip, reason string) (*Tip, error) {
	t, err := s.officerTip(ctx, s.db, p, id)
	if err != nil {
		return nil, err
	}
	if !isAssigned(p, t) {
		if _, err := s.audit.Append(ctx, officerEntry(p, ip, "tip.identity.denied", id, reason, nil)); err != nil {
			return nil, err
		}
		return nil, ErrNotAssignedHandler
	}
	return t, nil
}

// RewrapIdentities moves every sealed identity whose data key is wrapped by
// an older master key to the newest one (run at start after a key was
// added; the old key can be retired once this reports 0 left). It returns
// how many it re-wrapped.
func (s *Service) RewrapIdentities(ctx context.Context) (int, error) {
	newest := s.keys.NewestID()
	done := 0
	for {
		rows, err := s.db.Query(ctx, "SELECT id, identity_key_id, identity_dek, identity_ct FROM tips WHERE identity_key_id <> '' AND identity_key_id <> $1 LIMIT 200", newest)
		if err != nil {
			return done, internal("rewrap", err)
		}
		type item struct {
			id string
			s  Sealed
		}
		var batch []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.s.KeyID, &it.s.WrappedDEK, &it.s.Ciphertext); err != nil {
				rows.Close()
				return done, internal("rewrap", err)
			}
			batch = append(batch, it)
		}
		rows.Close()
		if len(batch) == 0 {
			return done, nil
		}
		for _, it := range batch {
			ns, err := s.keys.Rewrap(it.s, "tip:"+it.id)
			if err != nil {
				return done, internal("rewrap "+it.id, err)
			}
			if _, err := s.db.Exec(ctx, "UPDATE tips SET identity_key_id = $2, identity_dek = $3 WHERE id = $1 AND identity_key_id = $4",
				it.id, ns.KeyID, ns.WrappedDEK, it.s.KeyID); err != nil {
				return done, internal("rewrap", err)
			}
			done++
		}
	}
}

// OpenMedia streams one capture of a tip to its tipster or to an officer
// who may see the tip (audited as tip.media.view). The reader checks the
// bytes against their SHA-256 as they stream. Errors: tip_not_found,
// media_not_found.
func (s *Service) OpenMedia(ctx context.Context, p account.Principal, tipID, mediaID, ip string) (io.ReadCloser, Media, error) {
	t, err := s.getTip(ctx, s.db, tipID)
	if err != nil {
		return nil, Media{}, err
	}
	var m *Media
	for i := range t.Media {
		if t.Media[i].ID == mediaID {
			m = &t.Media[i]
		}
	}
	switch {
	case p.IsCitizen() && t.ownerRef == s.ownerRef(p):
	case p.IsOfficer() && canView(p, t):
		if m != nil {
			if _, err := s.audit.Append(ctx, officerEntry(p, ip, "tip.media.view", tipID, "", map[string]any{"media": mediaID})); err != nil {
				return nil, Media{}, err
			}
		}
	default:
		return nil, Media{}, ErrTipNotFound
	}
	if m == nil {
		return nil, Media{}, ErrMediaNotFound
	}
	rc, _, err := s.blob.Get(ctx, m.SHA256)
	if err != nil {
		if isBlobNotFound(err) {
			return nil, Media{}, ErrMediaNotFound.Msg("the capture's bytes are missing from the evidence store")
		}
		return nil, Media{}, internal("open media", err)
	}
	return rc, *m, nil
}

func isBlobNotFound(err error) bool { return err != nil && errors.Is(err, blob.ErrNotFound) }
