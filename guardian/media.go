package guardian

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"open110/platform/mediatype"
	"time"

	"open110/account"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/ids"
)

// Media limits by kind: a photo (e.g. the plate), a short video, a voice
// clip, as the app captures them.
var mediaLimit = map[string]int64{
	"photo": 15 << 20,
	"video": 80 << 20,
	"audio": 15 << 20,
}

// sniff names the format from the first bytes, never from what the client
// declares, and says whether it fits the declared kind (platform/mediatype).
func sniff(b []byte, kind string) (string, bool) {
	t, ok := mediatype.As(b, mediatype.Kind(kind))
	return t.MIME, ok
}

// MediaUpload describes one capture.
type MediaUpload struct {
	Kind       string    // photo, video, audio
	ClientID   string    // the app's ID for the capture: retrying an upload stores it once
	CapturedAt time.Time // zero: now
	Location   *Position // where it was captured, if known
}

func validClientID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AddMedia stores a photo, video or voice clip of the traveller's running
// trip in the evidence store (SHA-256, the type sniffed from the bytes)
// and wakes the guardians. A retried upload with the same client ID returns
// the stored item. Errors: trip_not_found (no such trip, or not p's: media
// needs a trip), trip_ended, invalid_media_kind, invalid_client_id,
// invalid_media (not an accepted format for the kind), media_too_large.
func (s *Service) AddMedia(ctx context.Context, p account.Principal, tripID string, up MediaUpload, body io.Reader) (Media, error) {
	limit, ok := mediaLimit[up.Kind]
	if !ok {
		return Media{}, ErrInvalidKind
	}
	if !validClientID(up.ClientID) {
		return Media{}, ErrInvalidClientID
	}
	if up.Location != nil && !up.Location.valid() {
		return Media{}, ErrInvalidPoints.Msg("location is out of range")
	}
	t, role, err := s.access(ctx, s.db, p, tripID)
	if err != nil {
		return Media{}, err
	}
	if role != RoleTraveller {
		return Media{}, ErrTripNotFound
	}
	if t.State != TripActive {
		return Media{}, ErrTripEnded
	}
	if m, err := s.mediaByClientID(ctx, tripID, up.ClientID); err == nil {
		return m, nil
	}
	now := s.now()
	if up.CapturedAt.IsZero() || up.CapturedAt.After(now.Add(s.cfg.FutureSkew)) || up.CapturedAt.Before(db.Time(t.StartedAt).Add(-time.Minute)) {
		up.CapturedAt = now // a capture time we cannot believe is replaced by the receipt time
	}
	br := bufio.NewReaderSize(io.LimitReader(body, limit+1), 4096)
	head, _ := br.Peek(64)
	mime, ok := sniff(head, up.Kind)
	if !ok {
		return Media{}, ErrInvalidMedia
	}
	obj, err := s.blob.Put(ctx, br)
	if err != nil {
		return Media{}, fmt.Errorf("guardian: store media: %w", err)
	}
	if obj.Size > limit {
		// The stored copy is an orphan nobody references; the store is
		// content-addressed and append-only, so it is left to the purge.
		return Media{}, ErrMediaTooLarge.Msg("at most %d MB for %s", limit>>20, up.Kind)
	}
	if obj.Size == 0 {
		return Media{}, ErrInvalidMedia
	}
	m := Media{ID: ids.New("m", now), Kind: up.Kind, MIME: mime, SHA256: obj.SHA256, Size: obj.Size,
		CapturedAt: up.CapturedAt.UTC().Truncate(time.Microsecond), Location: up.Location, UploadedAt: now.UTC().Truncate(time.Microsecond)}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, "SELECT state FROM trips WHERE id = $1", tripID).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrTripNotFound
			}
			return fmt.Errorf("guardian: read trip: %w", err)
		}
		if state != TripActive {
			return ErrTripEnded
		}
		rev, err := s.addEvent(ctx, tx, tripID, "media", audienceAll, p.Actor(), map[string]any{"media_id": m.ID, "kind": m.Kind})
		if err != nil {
			return err
		}
		m.Rev = rev
		_, err = tx.Exec(ctx, `INSERT INTO trip_media (id, trip_id, rev, client_id, kind, mime, sha256, size, captured_at, lat, lng, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, m.ID, tripID, rev, up.ClientID, m.Kind, m.MIME, m.SHA256, m.Size,
			db.Micros(m.CapturedAt), nullable(up.Location, func(p Position) float64 { return p.Lat }),
			nullable(up.Location, func(p Position) float64 { return p.Lng }), db.Micros(m.UploadedAt))
		if db.IsUniqueViolation(err) {
			return errDupMedia
		}
		if err != nil {
			return fmt.Errorf("guardian: insert media: %w", err)
		}
		return nil
	})
	if errors.Is(err, errDupMedia) {
		return s.mediaByClientID(ctx, tripID, up.ClientID)
	}
	if err != nil {
		return Media{}, err
	}
	s.wake(ctx, tripID, m.Rev)
	return m, nil
}

var errDupMedia = errors.New("duplicate media")

const mediaCols = "id, kind, mime, sha256, size, captured_at, lat, lng, uploaded_at, rev"

func scanMedia(sc interface{ Scan(...any) error }) (Media, error) {
	var m Media
	var captured, uploaded int64
	var lat, lng sql.NullFloat64
	if err := sc.Scan(&m.ID, &m.Kind, &m.MIME, &m.SHA256, &m.Size, &captured, &lat, &lng, &uploaded, &m.Rev); err != nil {
		return m, err
	}
	m.CapturedAt, m.UploadedAt = db.Time(captured), db.Time(uploaded)
	if lat.Valid && lng.Valid {
		m.Location = &Position{Lat: lat.Float64, Lng: lng.Float64}
	}
	return m, nil
}

func (s *Service) mediaByClientID(ctx context.Context, tripID, clientID string) (Media, error) {
	m, err := scanMedia(s.db.WriteRow(ctx, "SELECT "+mediaCols+" FROM trip_media WHERE trip_id = $1 AND client_id = $2", tripID, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return Media{}, ErrMediaNotFound
	}
	if err != nil {
		return Media{}, fmt.Errorf("guardian: read media: %w", err)
	}
	return m, nil
}

// media lists a trip's media with rev > afterRev, uploaded at or before
// until (0: any).
func (s *Service) media(ctx context.Context, q db.Querier, tripID string, afterRev, until int64) ([]Media, error) {
	query := "SELECT " + mediaCols + " FROM trip_media WHERE trip_id = $1 AND rev > $2"
	args := []any{tripID, afterRev}
	if until > 0 {
		query += " AND uploaded_at <= $3"
		args = append(args, until)
	}
	rows, err := q.Query(ctx, query+" ORDER BY rev", args...)
	if err != nil {
		return nil, fmt.Errorf("guardian: list media: %w", err)
	}
	defer rows.Close()
	out := []Media{}
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, fmt.Errorf("guardian: list media: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// OpenMedia opens one media item of a trip for its traveller or a
// guardian. The reader checks the content against its SHA-256 as it
// streams. Errors: trip_not_found, media_not_found.
func (s *Service) OpenMedia(ctx context.Context, p account.Principal, tripID, mediaID string) (Media, io.ReadCloser, error) {
	if _, _, err := s.access(ctx, s.db, p, tripID); err != nil {
		return Media{}, nil, err
	}
	return s.openMedia(ctx, tripID, mediaID, 0)
}

func (s *Service) openMedia(ctx context.Context, tripID, mediaID string, until int64) (Media, io.ReadCloser, error) {
	if !ids.Valid(mediaID) {
		return Media{}, nil, ErrMediaNotFound
	}
	m, err := scanMedia(s.db.QueryRow(ctx, "SELECT "+mediaCols+" FROM trip_media WHERE id = $1 AND trip_id = $2", mediaID, tripID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && until > 0 && db.Micros(m.UploadedAt) > until) {
		return Media{}, nil, ErrMediaNotFound
	}
	if err != nil {
		return Media{}, nil, fmt.Errorf("guardian: read media: %w", err)
	}
	rc, _, err := s.blob.Get(ctx, m.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return Media{}, nil, ErrMediaNotFound
	}
	if err != nil {
		return Media{}, nil, fmt.Errorf("guardian: open media: %w", err)
	}
	return m, rc, nil
}
