package tip

import (
	"context"

	"open110/account"
	"open110/audit"
	"open110/mydata"
	"open110/platform/db"
)

// MyData is what the tip feature holds about one citizen, as they may see
// it (PIPL export): their tips with state, result, media (by reference:
// kind, SHA-256, capture time and place) and dialogue; when officers looked
// (what and when, never who), with the identity reveals counted; and their
// captures not attached to any tip.
type MyData struct {
	Tips     []MyTip `json:"tips"`
	Captures []Media `json:"unattached_captures"`
}

// MyTip is one of the citizen's tips.
type MyTip struct {
	*Tip
	Messages        []Message `json:"messages"`
	Views           []View    `json:"views"`            // officers' looks: when and what
	IdentityReveals int       `json:"identity_reveals"` // how often the handler opened the sealed identity
}

// ExportFor returns everything the feature holds about citizen id. Tips
// are found through the owner reference (the HMAC of the citizen ID), as
// for the tipster themselves.
func (s *Service) ExportFor(ctx context.Context, citizenID string) (MyData, error) {
	p := account.Principal{Kind: account.Citizen, ID: citizenID}
	owner := s.ownerRef(p)
	out := MyData{Tips: []MyTip{}, Captures: []Media{}}
	tips, err := s.listTips(ctx, "owner_ref = $1 ORDER BY created_at", owner)
	if err != nil {
		return out, err
	}
	for _, t := range tips {
		d, err := s.Get(ctx, p, t.ID, "")
		if err != nil {
			return out, err
		}
		mt := MyTip{Tip: d.Tip, Messages: d.Messages, Views: d.Views}
		for _, v := range d.Views {
			if v.What == "identity" {
				mt.IdentityReveals++
			}
		}
		out.Tips = append(out.Tips, mt)
	}
	rows, err := s.db.Query(ctx, "SELECT "+mediaCols+" FROM tip_media WHERE owner_ref = $1 AND tip_id = '' ORDER BY captured_at, id", owner)
	if err != nil {
		return out, internal("my captures", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return out, internal("my captures", err)
		}
		out.Captures = append(out.Captures, m)
	}
	return out, rows.Err()
}

// DeleteFor carries out citizen id's deletion request (PIPL) and returns
// what it keeps and why; with dryRun it changes nothing. A tip still being
// handled is kept whole, sealed identity included (open_case: the handler
// may need to reach the tipster). A closed tip is a police record and is
// kept (legal_retention), but its sealed identity is erased and its link
// to the account cut, each erasure audited. Captures never attached to a
// tip, and unused capture tokens, are deleted (with the media bytes no
// other capture uses).
func (s *Service) DeleteFor(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error) {
	owner := s.ownerRef(account.Principal{Kind: account.Citizen, ID: citizenID})
	tips, err := s.listTips(ctx, "owner_ref = $1 ORDER BY created_at", owner)
	if err != nil {
		return nil, err
	}
	holds := []mydata.Hold{}
	var closed []string
	for _, t := range tips {
		h := mydata.Hold{Source: "tip", Kind: "tip", ID: t.ID, Reason: mydata.ReasonOpenCase,
			Detail: "线索正在办理中，办结前保留（含您的身份信息，仅承办民警可查看） / the tip is still being handled and is kept, with your sealed identity, until it is closed"}
		if t.State == Closed {
			h.Reason = mydata.ReasonLegalRetention
			h.Detail = "已办结线索作为公安机关档案保存；您的身份信息和与账号的关联已删除 / a closed tip is kept as a police record; your identity and its link to your account are erased"
			closed = append(closed, t.ID)
		}
		holds = append(holds, h)
	}
	if dryRun {
		return holds, nil
	}
	var orphans []string
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, id := range closed {
			res, err := tx.Exec(ctx, `UPDATE tips SET owner_ref = '', identity_key_id = '', identity_dek = '', identity_ct = ''
				WHERE id = $1 AND state = 'closed' AND owner_ref = $2`, id, owner)
			if err != nil {
				return internal("erase identity", err)
			}
			if _, err := tx.Exec(ctx, "UPDATE tip_media SET owner_ref = '' WHERE tip_id = $1", id); err != nil {
				return internal("erase identity", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := s.audit.AppendTx(ctx, tx, audit.Entry{Actor: "system", Action: "tip.identity.erase", Object: "tip:" + id,
					Reason: "the tipster deleted their account (PIPL); the closed tip is kept without identity"}); err != nil {
					return err
				}
			}
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT sha256 FROM tip_media m WHERE owner_ref = $1 AND tip_id = ''
			AND NOT EXISTS (SELECT 1 FROM tip_media o WHERE o.sha256 = m.sha256 AND o.id <> m.id)`, owner)
		if err != nil {
			return internal("my captures", err)
		}
		for rows.Next() {
			var sha string
			if err := rows.Scan(&sha); err != nil {
				rows.Close()
				return internal("my captures", err)
			}
			orphans = append(orphans, sha)
		}
		rows.Close()
		for _, q := range []string{"DELETE FROM tip_media WHERE owner_ref = $1 AND tip_id = ''", "DELETE FROM tip_capture_tokens WHERE owner_ref = $1"} {
			if _, err := tx.Exec(ctx, q, owner); err != nil {
				return internal("delete my data", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, sha := range orphans {
		if err := s.blob.Delete(ctx, sha); err != nil && s.log != nil {
			s.log.Warn("tip: delete capture bytes", "err", err)
		}
	}
	return holds, nil
}
