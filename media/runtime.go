package media

import "context"

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
