package media

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"open110/platform/db"
)

// store is the media feature's SQL.
type store struct {
	db  *db.DB
	now func() time.Time
}

// Segment is one stored recording segment.
type Segment struct {
	AlarmID  string    `json:"alarm_id"`
	Track    string    `json:"track"`
	Seq      int       `json:"seq"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Codecs   string    `json:"codecs"`
	StoredAt time.Time `json:"stored_at"`
}

// insertSegment records a stored segment and returns the sequence number
// it was stored under. Recording the same segment twice (a retried upload:
// same hash) is not an error. A different segment under a taken number —
// a node died mid-segment and another node went on recording the alarm
// from the same number, then the dead node's leftover was recovered at its
// restart — is kept under the next free number: evidence is never dropped.
// Playback orders by start time, so the late number changes no order.
func (s *store) insertSegment(ctx context.Context, g Segment) (int, error) {
	seq := g.Seq
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var have string
		err := tx.QueryRow(ctx, "SELECT sha256 FROM media_segments WHERE alarm_id = $1 AND track = $2 AND seq = $3",
			g.AlarmID, g.Track, seq).Scan(&have)
		switch {
		case err == nil && have == g.SHA256:
			return nil // already recorded
		case err == nil:
			if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM media_segments WHERE alarm_id = $1 AND track = $2",
				g.AlarmID, g.Track).Scan(&seq); err != nil {
				return fmt.Errorf("media: next segment number: %w", err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("media: read segment: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO media_segments (alarm_id, track, seq, started_at, ended_at, sha256, size, codecs, stored_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			g.AlarmID, g.Track, seq, db.Micros(g.Start), db.Micros(g.End), g.SHA256, g.Size, g.Codecs, db.Micros(s.now()))
		if err != nil {
			return fmt.Errorf("media: insert segment: %w", err)
		}
		return nil
	})
	return seq, err
}

func (s *store) segments(ctx context.Context, alarmID string) ([]Segment, error) {
	rows, err := s.db.Query(ctx, `SELECT alarm_id, track, seq, started_at, ended_at, sha256, size, codecs, stored_at
		FROM media_segments WHERE alarm_id = $1 ORDER BY track, started_at, seq`, alarmID)
	if err != nil {
		return nil, fmt.Errorf("media: list segments: %w", err)
	}
	defer rows.Close()
	out := []Segment{}
	for rows.Next() {
		var g Segment
		var st, en, at int64
		if err := rows.Scan(&g.AlarmID, &g.Track, &g.Seq, &st, &en, &g.SHA256, &g.Size, &g.Codecs, &at); err != nil {
			return nil, fmt.Errorf("media: scan segment: %w", err)
		}
		g.Start, g.End, g.StoredAt = db.Time(st), db.Time(en), db.Time(at)
		out = append(out, g)
	}
	return out, rows.Err()
}

// nextSeq is the sequence number a new recorder for the alarm starts at, so
// segments after a restart never collide with stored ones.
func (s *store) nextSeq(ctx context.Context, alarmID string) (int, error) {
	var n sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT MAX(seq) FROM media_segments WHERE alarm_id = $1`, alarmID).Scan(&n); err != nil {
		return 0, fmt.Errorf("media: next segment number: %w", err)
	}
	if n.Valid {
		return int(n.Int64) + 1, nil
	}
	return 0, nil
}

// Snapshot is a still image an officer saved to evidence.
type Snapshot struct {
	ID          string    `json:"id"`
	AlarmID     string    `json:"alarm_id"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	TakenBy     string    `json:"taken_by"`
	TakenAt     time.Time `json:"taken_at"`
}

func (s *store) snapshots(ctx context.Context, alarmID string) ([]Snapshot, error) {
	rows, err := s.db.Query(ctx, `SELECT id, alarm_id, sha256, size, content_type, taken_by, taken_at
		FROM media_snapshots WHERE alarm_id = $1 ORDER BY taken_at`, alarmID)
	if err != nil {
		return nil, fmt.Errorf("media: list snapshots: %w", err)
	}
	defer rows.Close()
	out := []Snapshot{}
	for rows.Next() {
		var n Snapshot
		var at int64
		if err := rows.Scan(&n.ID, &n.AlarmID, &n.SHA256, &n.Size, &n.ContentType, &n.TakenBy, &at); err != nil {
			return nil, fmt.Errorf("media: scan snapshot: %w", err)
		}
		n.TakenAt = db.Time(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
