package e2e

import (
	"regexp"
	"testing"
)

// TestRewardTask: a handler publishes a reward in the console; a signed-out
// visitor sees it; a citizen answers anonymously and gets a claim code; the
// handler rewards the clue; the claimant redeems with number and code only.
func TestRewardTask(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)
	desk := b.NewTab("handler")
	desk.Desktop()
	desk.OpenConsole(s, "h130102")
	desk.Navigate(s.URL + "/console/#/rewards")
	desk.Type("[data-testid=rw-title]", "悬赏征集盗窃电动车线索")
	desk.Type("textarea[name=description]", "近期辖区多起电动车被盗，征集线索。")
	desk.Click("[data-action=publish]")
	desk.WaitText("[data-testid=reward-tasks]", "悬赏征集盗窃电动车线索")
	desk.Screenshot("reward-console-list")

	visitor := b.NewTab("visitor")
	visitor.Phone()
	visitor.Navigate(s.URL + "/#/rewards")
	visitor.WaitText("[data-testid=reward-list]", "悬赏征集盗窃电动车线索")
	visitor.Screenshot("reward-public-list")

	citizen := b.NewTab("citizen")
	citizen.Phone()
	citizen.OpenCitizen(s, "13600000077")
	citizen.Navigate(s.URL + "/#/rewards")
	citizen.Click("[data-testid=reward-list] a")
	citizen.Type("[data-testid=clue-text]", "每晚十点有人在5号楼车棚撬锁。")
	citizen.Click("[data-action=send-clue]")
	box := citizen.WaitText("[data-testid=claim-code]", "兑领码")
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(citizen.Text(".rw-code"))
	clue := citizen.Text("[data-testid=claim-code] b")
	if code == "" || clue == "" {
		t.Fatalf("no code or clue number in %q", box)
	}
	citizen.Screenshot("reward-claim-code")

	desk.Click("[data-testid=reward-tasks] a")
	desk.WaitText("[data-testid=reward-clues]", "5号楼车棚")
	desk.Click("[data-testid=reward-clues] button")
	desk.WaitText("[data-testid=reward-clues]", "已奖励")
	desk.NoConsoleErrors()

	claimant := b.NewTab("claimant")
	claimant.Phone()
	claimant.Navigate(s.URL + "/#/rewards/claim")
	claimant.Type("input[name=clue]", clue)
	claimant.Type("input[name=code]", code)
	claimant.Click("[data-action=redeem]")
	claimant.WaitText("[data-testid=claim-result]", "已领取")
	claimant.Screenshot("reward-redeemed")
	claimant.NoConsoleErrors()
}
