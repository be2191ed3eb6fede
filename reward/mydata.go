package reward

import (
	"context"

	"open110/account"
	"open110/audit"
	"open110/mydata"
	"open110/platform/db"
)

// MyClue is one of the citizen's clues as they may see it in their export,
// with the contact they gave and the task's title and state.
type MyClue struct {
	Clue
	TaskTitle string `json:"task_title"`
	TaskState string `json:"task_state"`
}

// ExportFor returns the clues citizen id sent without anonymity (an
// anonymous clue keeps no link to the account, so it cannot be found).
func (s *Service) ExportFor(ctx context.Context, citizenID string) ([]MyClue, error) {
	rows, err := s.db.Query(ctx, "SELECT "+prefixCols("c.")+", t.title, t.state FROM reward_clues c JOIN reward_tasks t ON t.id = c.task_id WHERE c.citizen_ref = $1 ORDER BY c.created_at",
		s.citizenRef(account.Principal{Kind: account.Citizen, ID: citizenID}))
	if err != nil {
		return nil, internal("my clues", err)
	}
	defer rows.Close()
	out := []MyClue{}
	for rows.Next() {
		var c MyClue
		var ref string
		var rewarded, redeemed, created int64
		if err := rows.Scan(&c.ID, &c.TaskID, &c.Text, &c.Contact, &ref, &c.State, &c.RewardYuan, &c.RewardNote, &rewarded, &redeemed, &created,
			&c.TaskTitle, &c.TaskState); err != nil {
			return nil, internal("my clues", err)
		}
		c.CreatedAt = db.Time(created)
		if rewarded != 0 {
			v := db.Time(rewarded)
			c.RewardedAt = &v
		}
		if redeemed != 0 {
			v := db.Time(redeemed)
			c.RedeemedAt = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func prefixCols(p string) string {
	return p + "id, " + p + "task_id, " + p + "text, " + p + "contact, " + p + "citizen_ref, " + p + "state, " + p + "reward_yuan, " +
		p + "reward_note, " + p + "rewarded_at, " + p + "redeemed_at, " + p + "created_at"
}

// DeleteFor carries out citizen id's deletion request (PIPL) and returns
// what it keeps and why; with dryRun it changes nothing. A clue is
// information given to the police and stays as their record. While its
// task is still published and the clue is not redeemed, it is kept whole
// with the contact given (open_case: police may need to reach the sender
// and a reward may be due; redeeming needs only the clue number and the
// code). Otherwise the contact and the link to the account are erased and
// the clue text kept (legal_retention), audited.
func (s *Service) DeleteFor(ctx context.Context, citizenID string, dryRun bool) ([]mydata.Hold, error) {
	clues, err := s.ExportFor(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	holds := []mydata.Hold{}
	var erase []string
	for _, c := range clues {
		h := mydata.Hold{Source: "reward", Kind: "reward_clue", ID: c.ID, Reason: mydata.ReasonOpenCase,
			Detail: "悬赏任务仍在进行，线索及您留下的联系方式保留至任务结束 / the reward task is still open; the clue and the contact you gave are kept until it ends"}
		if c.TaskState != "published" || c.State == "redeemed" {
			h.Reason = mydata.ReasonLegalRetention
			h.Detail = "线索内容作为公安机关档案保存；您的联系方式和与账号的关联已删除 / the clue text is kept as a police record; your contact and its link to your account are erased"
			erase = append(erase, c.ID)
		}
		holds = append(holds, h)
	}
	if dryRun || len(erase) == 0 {
		return holds, nil
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, id := range erase {
			if _, err := tx.Exec(ctx, "UPDATE reward_clues SET citizen_ref = '', contact = '' WHERE id = $1", id); err != nil {
				return internal("erase clue contact", err)
			}
			if _, err := s.audit.AppendTx(ctx, tx, audit.Entry{Actor: "system", Action: "reward.clue.erase", Object: "reward-clue:" + id,
				Reason: "the sender deleted their account (PIPL); the clue is kept without contact"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return holds, nil
}
