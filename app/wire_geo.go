package app

// wireGeo serves routing and jurisdictions. The router itself is built in
// build (every feature routes with it).
func wireGeo(a *App) error {
	a.AddOpenAPI(platformOpenAPI)
	return nil
}
