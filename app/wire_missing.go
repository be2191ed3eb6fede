package app

import "open110/missing"

// wireMissing serves missing-person notices (寻人启事): the family's
// submissions, the centre's verification, the public feed, sightings and
// area alerts. Its runner keeps the opt-in area index fresh and widens the
// alert ring of open notices as time passes (1 h, 2 h, 3 h after the last
// sighting), on the node's clock.
func wireMissing(a *App) error {
	svc := missing.New(missing.Deps{
		DB: a.DB, Bus: a.Bus, Blob: a.Blob, Audit: a.Audit, Centers: a.Accounts, Router: a.Router,
		Now: a.Now, Log: a.Log.With("feature", "missing"),
	})
	svc.Register(a.Mux)
	a.missing = svc
	a.AddOpenAPI(missing.OpenAPI)
	a.AddRunner(svc.Run)
	return nil
}
