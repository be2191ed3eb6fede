package app

import "open110/reward"

// wireReward serves reward tasks (悬赏任务): public lists, officers'
// publishing, citizens' clues and code-based claims.
func wireReward(a *App) error {
	svc := reward.New(a.DB, a.Audit, a.Blob, a.Accounts, a.Secret, a.Now, a.Log)
	reward.NewHandler(svc, a.Now).Register(a.Mux)
	a.rewards = svc
	a.AddOpenAPI(reward.OpenAPI)
	return nil
}
