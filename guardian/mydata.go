package guardian

import (
	"context"
	"fmt"

	"open110/account"
	"open110/mydata"
	"open110/platform/db"
)

// MyData is what the guardian feature holds about one citizen, as they may
// see it (PIPL export): their links (both ways), whether a duress PIN is set
// (never the PIN), their own trips with track, media (by reference: kind,
// SHA-256, size, capture time and place) and events, and the trips of others
// they guard or guarded (summaries as a guardian sees them).
type MyData struct {
	Links        Links    `json:"links"`
	DuressPINSet bool     `json:"duress_pin_set"`
	Trips        []MyTrip `json:"trips"`
	Guarding     []Trip   `json:"guarding"`
}

// MyTrip is one of the citizen's own trips in full, as its traveller sees it
// (a duress end looks like "arrived", as on screen).
type MyTrip struct {
	Trip
	Track  []Point `json:"track"`
	Media  []Media `json:"media"`
	Events []Event `json:"events"`
}

// ExportFor returns everything the feature holds about citizen id.
func (s *Service) ExportFor(ctx context.Context, citizenID string) (MyData, error) {
	p := account.Principal{Kind: account.Citizen, ID: citizenID}
	out := MyData{Trips: []MyTrip{}, Guarding: []Trip{}}
	var err error
	if out.Links, err = s.ListLinks(ctx, p); err != nil {
		return out, err
	}
	if out.DuressPINSet, err = s.HasDuressPIN(ctx, p); err != nil {
		return out, err
	}
	rs, err := s.ownTrips(ctx, citizenID)
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		t, err := s.view(ctx, s.db, r, RoleTraveller)
		if err != nil {
			return out, err
		}
		mt := MyTrip{Trip: t}
		if mt.Track, err = s.points(ctx, s.db, r.ID, 0, 0); err != nil {
			return out, err
		}
		if mt.Media, err = s.media(ctx, s.db, r.ID, 0, 0); err != nil {
			return out, err
		}
		if mt.Events, err = s.events(ctx, r.ID, RoleTraveller, 0, r.Rev); err != nil {
			return out, err
		}
		out.Trips = append(out.Trips, mt)
	}
	_, guarding, err := s.List(ctx, p)
	if err != nil {
		return out, err
	}
	out.Guarding = append(out.Guarding, guarding...)
	return out, nil
}

func (s *Service) ownTrips(ctx context.Context, citizenID string) ([]tripRow, error) {
	rows, err := s.db.Query(ctx, "SELECT "+tripCols+" FROM trips WHERE owner_id = $1 ORDER BY started_at", citizenID)
	if err != nil {
		return nil, fmt.Errorf("guardian: my trips: %w", err)
	}
	defer rows.Close()
	var out []tripRow
	for rows.Next() {
		r, err := scanTrip(rows)
		if err != nil {
			return nil, fmt.Errorf("guardian: my trips: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteFor deletes citizen id's guardian data (PIPL deletion) and returns
// what it keeps and why; with dryRun it deletes nothing and only says what
// it would keep. Deleted: every link to or from them, their duress PIN,
// their trips not linked to an alarm (track, media rows, events and the
// media bytes no other trip uses), their place in the guardian list of
// others' trips that no alarm holds. Kept: a trip linked to an alarm is
// evidence for that alarm and follows its retention (reason "evidence");
// while a duress alarm on it is still undisclosed (DuressDisclose), the
// reason given is only "legal_retention" — whoever forced the traveller may
// be holding the phone.
func (s *Service) DeleteFor(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error) {
	holds := []mydata.Hold{}
	rs, err := s.ownTrips(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	cut := s.now().Add(-s.cfg.DuressDisclose)
	for _, r := range rs {
		if r.Held == 0 {
			if !dryRun {
				deleted, err := s.deleteTrip(ctx, r.ID)
				if err != nil {
					return nil, err
				}
				if deleted {
					continue
				}
			} else {
				continue
			}
		}
		// Held (or linked to an alarm while we deleted).
		als, err := tripAlarms(ctx, s.db, r.ID)
		if err != nil {
			return nil, err
		}
		hidden := false
		for _, a := range als {
			if a.RaisedBy == RaisedByDuress && a.At.After(cut) {
				hidden = true
			}
		}
		h := mydata.Hold{Source: "guardian", Kind: "trip", ID: r.ID, Reason: mydata.ReasonEvidence,
			Detail: "行程已关联报警，作为该警情的证据按其保存期限保存 / the trip is linked to an alarm and kept as its evidence for the alarm's retention period"}
		if hidden {
			h.Reason, h.Detail = mydata.ReasonLegalRetention, "按保存规定保存 / kept under the retention rules"
		}
		holds = append(holds, h)
	}
	// Links naming them that a held trip of someone else still lists.
	rows, err := s.db.Query(ctx, `SELECT DISTINCT l.id FROM guardian_links l JOIN trip_guardians tg ON tg.link_id = l.id
		JOIN trips t ON t.id = tg.trip_id WHERE l.guardian_id = $1 AND t.held = 1 ORDER BY l.id`, citizenID)
	if err != nil {
		return nil, fmt.Errorf("guardian: my held links: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("guardian: my held links: %w", err)
		}
		holds = append(holds, mydata.Hold{Source: "guardian", Kind: "guardian_link", ID: id, Reason: mydata.ReasonEvidence,
			Detail: "您守护过的行程已关联报警，您作为守护人的号码随该证据保存 / a trip you guarded is linked to an alarm; your number as its guardian is kept with that evidence"})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("guardian: my held links: %w", err)
	}
	if dryRun {
		return holds, nil
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range []string{
			// Their place in others' trips that no alarm holds (a held trip's
			// guardian list is part of its evidence).
			"DELETE FROM trip_guardians WHERE guardian_id = $1 AND trip_id IN (SELECT id FROM trips WHERE held = 0)",
			"DELETE FROM guardian_links WHERE (owner_id = $1 OR guardian_id = $1) AND id NOT IN (SELECT link_id FROM trip_guardians)",
			"DELETE FROM guardian_pins WHERE owner_id = $1",
		} {
			if _, err := tx.Exec(ctx, q, citizenID); err != nil {
				return fmt.Errorf("guardian: delete my data: %w", err)
			}
		}
		// Links a held trip still names: revoked, so nobody guards through them.
		if _, err := tx.Exec(ctx, "UPDATE guardian_links SET state = 'revoked', label = '', is_default = 0, updated_at = $2 WHERE owner_id = $1 OR guardian_id = $1",
			citizenID, db.Micros(s.now())); err != nil {
			return fmt.Errorf("guardian: delete my data: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return holds, nil
}
