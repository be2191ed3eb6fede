package alarm

import (
	"context"
	"fmt"
	"time"

	"open110/platform/db"
)

// Retention of alarm data, per kind (what PurgeClosed may delete):
//
//   - the alarm, its event log, chat (with delivery and read marks),
//     position stream, incident record, units and call-backs: the police
//     record of the call and its evidence (the position stream is what the
//     dispatcher relied on) — kept; never purged here;
//   - recorded media and snapshots (media feature): evidence — kept; past
//     the evidence retention they are counted as "evidence_due" for a
//     person to decide, never deleted silently;
//   - 12110 gateway receipts (sms_inbound: gateway message id, signature,
//     phone): only guard against retries and replays within minutes; the
//     message itself is in the chat — deleted once the alarm is closed and
//     past the closed-data retention.
//
// PurgeClosed deletes the gateway receipts of alarms that ended (closed or
// cancelled) before closedBefore, and counts the terminal alarms that ended
// before evidenceBefore (their evidence is due for review). It returns
// counts by kind: sms_receipts, evidence_due.
func (s *Service) PurgeClosed(ctx context.Context, closedBefore, evidenceBefore time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	res, err := s.db.Exec(ctx, `DELETE FROM sms_inbound WHERE received_at < $1 AND alarm_id IN
		(SELECT id FROM alarms WHERE state IN ('closed', 'cancelled') AND ended_at > 0 AND ended_at < $1)`, db.Micros(closedBefore))
	if err != nil {
		return out, fmt.Errorf("alarm: purge sms receipts: %w", err)
	}
	out["sms_receipts"], _ = res.RowsAffected()
	var due int64
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM alarms WHERE state IN ('closed', 'cancelled') AND ended_at > 0 AND ended_at < $1",
		db.Micros(evidenceBefore)).Scan(&due); err != nil {
		return out, fmt.Errorf("alarm: count evidence due: %w", err)
	}
	out["evidence_due"] = due
	return out, nil
}
