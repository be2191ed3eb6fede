package app

import (
	"open110/geo"
	"open110/platform/api"
)

// wireGeo serves routing and jurisdictions. The router itself is built in
// build (every feature routes with it). /route is public, so it is limited
// per client IP: 600 lookups a minute with bursts of 120 is far above any
// app's need and far below what would let one client load the node.
func wireGeo(a *App) error {
	a.AddOpenAPI(platformOpenAPI)
	geo.NewHandler(a.Router, api.NewLimiter(600, 120, a.Now)).Register(a.Mux)
	a.AddOpenAPI(geoOpenAPI)
	return nil
}

func geoOpenAPI() map[string]any {
	unit := obj(map[string]any{"code": str(), "name": str()}, "code", "name")
	q := func(name, desc string, required bool) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": required, "description": desc, "schema": num()}
	}
	route := op("Route a WGS-84 position to its county, city and 110 centre (public; 404 outside_jurisdiction outside Hebei with the nearest centre)",
		false, nil, "200", obj(map[string]any{"county": unit, "city": unit, "center": unit, "reason": str()}, "county", "city", "center"))
	route["parameters"] = []any{q("lat", "latitude, WGS-84", true), q("lng", "longitude, WGS-84", true), q("accuracy_m", "accuracy in metres", false)}
	boundary := op("A unit's boundary as GeoJSON in WGS-84, simplified for a zoom level", false, nil, "200", map[string]any{"type": "object"})
	boundary["parameters"] = []any{
		map[string]any{"name": "code", "in": "path", "required": true, "schema": str()},
		map[string]any{"name": "zoom", "in": "query", "required": false, "schema": num()},
	}
	one := op("One unit of the tree", false, nil, "200", unit)
	one["parameters"] = []any{map[string]any{"name": "code", "in": "path", "required": true, "schema": str()}}
	return map[string]any{
		"/api/v1/route":                         map[string]any{"get": route},
		"/api/v1/jurisdictions":                 map[string]any{"get": op("The unit tree: province, cities, counties", false, nil, "200", map[string]any{"type": "object"})},
		"/api/v1/jurisdictions/{code}":          map[string]any{"get": one},
		"/api/v1/jurisdictions/{code}/boundary": map[string]any{"get": boundary},
	}
}
