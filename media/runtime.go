package media

import (
	"context"
	"fmt"
	"time"

	"open110/platform/db"
)

// SetICEServers replaces, at run time, the extra STUN/TURN servers handed
// to clients (admin settings: TURN); the embedded TURN server, when
// configured, is always offered first. nil restores Config's ICEServers.
// Clients pick the new list at their next signalling hello or
// /media/ice-servers request.
func (s *Service) SetICEServers(list []ICEServer) {
	if list == nil {
		s.ice.Store(nil)
		return
	}
	l := append([]ICEServer{}, list...)
	s.ice.Store(&l)
}

// SnapshotsOf lists an alarm's snapshots (for other features, e.g. the
// caller's "my data" export, by reference). No access check.
func (s *Service) SnapshotsOf(ctx context.Context, alarmID string) ([]Snapshot, error) {
	return s.store.snapshots(ctx, alarmID)
}

// EvidenceDue counts the recorded segments and snapshots stored before
// before (past the evidence retention): the retention job reports them for
// a person to decide; evidence is never deleted silently.
func (s *Service) EvidenceDue(ctx context.Context, before time.Time) (segments, snapshots int64, err error) {
	if err := s.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM media_segments WHERE stored_at < $1", db.Micros(before)).Scan(&segments); err != nil {
		return 0, 0, fmt.Errorf("media: count due segments: %w", err)
	}
	if err := s.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM media_snapshots WHERE taken_at < $1", db.Micros(before)).Scan(&snapshots); err != nil {
		return 0, 0, fmt.Errorf("media: count due snapshots: %w", err)
	}
	return segments, snapshots, nil
}
