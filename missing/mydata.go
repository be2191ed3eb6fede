package missing

import (
	"context"
	"fmt"

	"open110/account"
	"open110/mydata"
	"open110/platform/db"
)

// MyData is what the missing-person feature holds about one citizen, as
// they may see it (PIPL export): the notices they submitted (with their own
// contact, media by reference, progress), the sightings they sent, and
// their area-alert setting (a coarse area, never a track).
type MyData struct {
	Notices   []Detail       `json:"notices"`
	Sightings []SightingView `json:"sightings"`
	Alerts    AreaView       `json:"alerts"`
}

// ExportFor returns everything the feature holds about citizen id.
func (s *Service) ExportFor(ctx context.Context, citizenID string) (MyData, error) {
	c := Caller{Principal: account.Principal{Kind: account.Citizen, ID: citizenID}}
	out := MyData{Notices: []Detail{}, Sightings: []SightingView{}}
	ns, err := queryNotices(ctx, s.db, "WHERE citizen_id = $1 ORDER BY created_at, id", citizenID)
	if err != nil {
		return out, err
	}
	for _, n := range ns {
		d, err := s.Get(ctx, c, n.ID)
		if err != nil {
			return out, err
		}
		out.Notices = append(out.Notices, d)
	}
	ss, err := s.mySightings(ctx, citizenID)
	if err != nil {
		return out, err
	}
	for _, sg := range ss {
		v := sightingView(sg)
		v.TriagedBy = "" // officers are not named to citizens
		out.Sightings = append(out.Sightings, v)
	}
	if out.Alerts, err = s.Area(ctx, c); err != nil {
		return out, err
	}
	return out, nil
}

func (s *Service) mySightings(ctx context.Context, citizenID string) ([]sighting, error) {
	rows, err := s.db.Query(ctx, "SELECT "+sightingCols+" FROM missing_sightings WHERE citizen_id = $1 ORDER BY created_at, id", citizenID)
	if err != nil {
		return nil, fmt.Errorf("missing: my sightings: %w", err)
	}
	defer rows.Close()
	var out []sighting
	for rows.Next() {
		sg, err := scanSighting(rows)
		if err != nil {
			return nil, fmt.Errorf("missing: my sightings: %w", err)
		}
		out = append(out, sg)
	}
	return out, rows.Err()
}

func openNotice(st State) bool { return st == Submitted || st == Verifying || st == Published }

// DeleteFor carries out citizen id's deletion request (PIPL) and returns
// what it keeps and why; with dryRun it changes nothing. A notice still
// open (submitted, verifying, published) is kept whole: a person is still
// missing (open_case). A rejected or closed notice is a police record and
// is kept (legal_retention) with the initiator's name, phone and address
// erased and the link to the account cut. A sighting on an open notice is
// kept whole (a lead in an open case); on a closed one its text stays and
// the sender's phone and account link are erased. The area-alert setting
// is turned off and its area forgotten. Erasures are audited.
func (s *Service) DeleteFor(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error) {
	ns, err := queryNotices(ctx, s.db, "WHERE citizen_id = $1 ORDER BY created_at, id", citizenID)
	if err != nil {
		return nil, err
	}
	holds := []mydata.Hold{}
	var eraseNotices []string
	for _, n := range ns {
		h := mydata.Hold{Source: "missing", Kind: "missing_notice", ID: n.ID, Reason: mydata.ReasonOpenCase,
			Detail: "寻人启事尚未结案，完整保留 / the notice is still open: someone is still missing"}
		if !openNotice(n.State) {
			h.Reason = mydata.ReasonLegalRetention
			h.Detail = "寻人记录作为公安机关档案保存；您的姓名、电话、住址和与账号的关联已删除 / the notice is kept as a police record; your name, phone, address and its link to your account are erased"
			eraseNotices = append(eraseNotices, n.ID)
		}
		holds = append(holds, h)
	}
	ss, err := s.mySightings(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	var eraseSightings []string
	for _, sg := range ss {
		var st string
		if err := s.db.QueryRow(ctx, "SELECT state FROM missing_notices WHERE id = $1", sg.NoticeID).Scan(&st); err != nil {
			return nil, fmt.Errorf("missing: sighting's notice: %w", err)
		}
		h := mydata.Hold{Source: "missing", Kind: "missing_sighting", ID: sg.ID, Reason: mydata.ReasonOpenCase,
			Detail: "您提供的线索所属寻人启事尚未结案，完整保留 / the notice you sent this sighting for is still open"}
		if !openNotice(State(st)) {
			h.Reason = mydata.ReasonLegalRetention
			h.Detail = "线索内容作为档案保存；您的电话和与账号的关联已删除 / the sighting text is kept as a record; your phone and its link to your account are erased"
			eraseSightings = append(eraseSightings, sg.ID)
		}
		holds = append(holds, h)
	}
	if dryRun {
		return holds, nil
	}
	c := Caller{Principal: account.Principal{Kind: account.Citizen, ID: citizenID}}
	if err := s.DisableArea(ctx, c); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE missing_optins SET lat = 0, lng = 0, county_code = '' WHERE citizen_id = $1", citizenID); err != nil {
			return fmt.Errorf("missing: forget area: %w", err)
		}
		for _, id := range eraseNotices {
			if _, err := tx.Exec(ctx, `UPDATE missing_notices SET initiator_name = '', contact_phone = '', home_address = '', citizen_id = ''
				WHERE id = $1 AND citizen_id = $2`, id, citizenID); err != nil {
				return fmt.Errorf("missing: erase initiator: %w", err)
			}
			if err := s.auditTx(ctx, tx, c, "missing.initiator.erase", obj(id),
				citizenSubject(citizenID), "the initiator deleted their account (PIPL)", nil); err != nil {
				return err
			}
		}
		for _, id := range eraseSightings {
			if _, err := tx.Exec(ctx, "UPDATE missing_sightings SET phone = '', citizen_id = '', request_ip = '' WHERE id = $1 AND citizen_id = $2", id, citizenID); err != nil {
				return fmt.Errorf("missing: erase sighting sender: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return holds, nil
}
