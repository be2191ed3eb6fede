package tip

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"open110/platform/db"
)

const tipCols = `id, owner_ref, category, description, lat, lng, accuracy_m, center_code, routed_center,
	identity_key_id, identity_dek, identity_ct, state, result, result_note, handler_id, handler_username,
	flags, desc_hash, created_at, assigned_at, closed_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanTip(r scanner) (*Tip, error) {
	t := &Tip{}
	var flags string
	var created, assigned, closed, updated int64
	err := r.Scan(&t.ID, &t.ownerRef, &t.Category, &t.Description, &t.Position.Lat, &t.Position.Lng, &t.Position.AccuracyM,
		&t.Center.Code, &t.RoutedTo, &t.sealed.KeyID, &t.sealed.WrappedDEK, &t.sealed.Ciphertext, &t.State, &t.Result,
		&t.ResultNote, &t.handlerID, &t.Handler, &flags, &t.descHash, &created, &assigned, &closed, &updated)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.updatedAt = db.Time(created), db.Time(updated)
	if assigned != 0 {
		v := db.Time(assigned)
		t.AssignedAt = &v
	}
	if closed != 0 {
		v := db.Time(closed)
		t.ClosedAt = &v
	}
	t.Identity = "anonymous"
	if t.sealed.KeyID != "" {
		t.Identity = "sealed"
	}
	if err := json.Unmarshal([]byte(flags), &t.Flags); err != nil {
		t.Flags = []string{}
	}
	if t.Flags == nil {
		t.Flags = []string{}
	}
	t.Media = []Media{}
	return t, nil
}

// getTip reads a tip with its media. Errors: ErrTipNotFound.
func (s *Service) getTip(ctx context.Context, q db.Querier, id string) (*Tip, error) {
	t, err := scanTip(q.QueryRow(ctx, "SELECT "+tipCols+" FROM tips WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrTipNotFound
	}
	if err != nil {
		return nil, internal("read tip", err)
	}
	if t.Media, err = s.tipMedia(ctx, q, id); err != nil {
		return nil, err
	}
	s.nameCenter(ctx, &t.Center)
	return t, nil
}

func (s *Service) nameCenter(ctx context.Context, u *Unit) {
	if c, err := s.accounts.GetCenter(ctx, u.Code); err == nil {
		u.Name = c.Name
	}
}

const mediaCols = "id, owner_ref, tip_id, kind, mime, sha256, size, captured_at, lat, lng, accuracy_m, uploaded_at, attestation, attestation_hash, audit_seq"

func scanMedia(r scanner) (Media, error) {
	var m Media
	var captured, uploaded int64
	err := r.Scan(&m.ID, &m.ownerRef, &m.tipID, &m.Kind, &m.MIME, &m.SHA256, &m.Size, &captured, &m.Position.Lat, &m.Position.Lng,
		&m.Position.AccuracyM, &uploaded, &m.attestation, &m.AttestationHash, &m.AuditSeq)
	m.CapturedAt, m.UploadedAt = db.Time(captured), db.Time(uploaded)
	return m, err
}

func (s *Service) tipMedia(ctx context.Context, q db.Querier, tipID string) ([]Media, error) {
	rows, err := q.Query(ctx, "SELECT "+mediaCols+" FROM tip_media WHERE tip_id = $1 ORDER BY captured_at, id", tipID)
	if err != nil {
		return nil, internal("read media", err)
	}
	defer rows.Close()
	out := []Media{}
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, internal("scan media", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Service) mediaByID(ctx context.Context, q db.Querier, id string) (Media, error) {
	m, err := scanMedia(q.QueryRow(ctx, "SELECT "+mediaCols+" FROM tip_media WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrMediaNotFound
	}
	if err != nil {
		return m, internal("read media", err)
	}
	return m, nil
}

// listTips runs a tips query and returns summaries (no media).
func (s *Service) listTips(ctx context.Context, where string, args ...any) ([]*Tip, error) {
	rows, err := s.db.Query(ctx, "SELECT "+tipCols+" FROM tips WHERE "+where, args...)
	if err != nil {
		return nil, internal("list tips", err)
	}
	defer rows.Close()
	out := []*Tip{}
	for rows.Next() {
		t, err := scanTip(rows)
		if err != nil {
			return nil, internal("scan tip", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list tips", err)
	}
	names := map[string]string{}
	for _, t := range out {
		if n, ok := names[t.Center.Code]; ok {
			t.Center.Name = n
			continue
		}
		s.nameCenter(ctx, &t.Center)
		names[t.Center.Code] = t.Center.Name
	}
	return out, nil
}

func (s *Service) mediaCounts(ctx context.Context, ids []string) (map[string]int, error) {
	out := map[string]int{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.Query(ctx, "SELECT tip_id, COUNT(*) FROM tip_media WHERE tip_id IN ("+db.Placeholders(1, len(ids))+") GROUP BY tip_id", args...)
	if err != nil {
		return nil, internal("count media", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, internal("count media", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

func (s *Service) messages(ctx context.Context, tipID string, after int64) ([]Message, error) {
	rows, err := s.db.Query(ctx, "SELECT id, sender, text, at FROM tip_messages WHERE tip_id = $1 AND id > $2 ORDER BY id LIMIT 500", tipID, after)
	if err != nil {
		return nil, internal("read messages", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var at int64
		if err := rows.Scan(&m.ID, &m.From, &m.Text, &at); err != nil {
			return nil, internal("scan message", err)
		}
		m.At = db.Time(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

func flagsJSON(f []string) string {
	if len(f) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(f)
	return string(b)
}
