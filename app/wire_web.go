package app

import "open110/web"

// wireWeb serves the citizen app at "/", the dispatcher console at
// "/console/", the printable poster at "/poster" and their static files.
// The poster's QR code opens --public-url when set, else the URL the
// poster was fetched from.
func wireWeb(a *App) error {
	w, err := web.New(web.Options{PublicURL: a.Cfg.PublicURL})
	if err != nil {
		return err
	}
	w.Register(a.Mux)
	return nil
}

// Wired from here rather than in the wirings list of features.go so the web
// engineer need not edit a shared file; the web routes depend on no feature.
