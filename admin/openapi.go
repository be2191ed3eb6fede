package admin

// OpenAPI returns the OpenAPI 3.1 paths of the admin, audit and dashboard
// endpoints.
func OpenAPI() map[string]any {
	obj := func(props map[string]any) map[string]any {
		return map[string]any{"type": "object", "properties": props}
	}
	str := map[string]any{"type": "string"}
	boolean := map[string]any{"type": "boolean"}
	any_ := map[string]any{"type": "object"}
	op := func(summary string, body map[string]any, status string, params ...string) map[string]any {
		o := map[string]any{"summary": summary, "security": []any{map[string]any{"bearer": []any{}}},
			"responses": map[string]any{
				status:    map[string]any{"description": "success"},
				"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			}}
		if body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}}
		}
		var ps []any
		for _, p := range params {
			in := "query"
			if p == "code" || p == "username" || p == "chart" {
				in = "path"
			}
			ps = append(ps, map[string]any{"name": p, "in": in, "required": in == "path", "schema": str})
		}
		if ps != nil {
			o["parameters"] = ps
		}
		return o
	}
	filter := []string{"actor", "action", "object", "subject", "from", "to", "after", "limit"}
	return map[string]any{
		"/api/v1/admin/centers":        map[string]any{"get": op("Admin: the units of your area, whether each runs its own 110 centre, officer counts", nil, "200")},
		"/api/v1/admin/centers/{code}": map[string]any{"put": op("Admin: make a county run its own 110 centre (or stop); routing follows at once on every node", obj(map[string]any{"active": boolean, "reason": str}), "200", "code")},
		"/api/v1/admin/officers": map[string]any{
			"get":  op("Admin: officers of your area (?center=)", nil, "200", "center"),
			"post": op("Admin: create an officer (201)", obj(map[string]any{"username": str, "name": str, "role": str, "center": str, "password": str}), "201"),
		},
		"/api/v1/admin/officers/{username}":              map[string]any{"patch": op("Admin: change name, role, centre or disabled (audited with each change)", obj(map[string]any{"name": str, "role": str, "center": str, "disabled": boolean, "reason": str}), "200", "username")},
		"/api/v1/admin/officers/{username}/password":     map[string]any{"post": op("Admin: reset an officer's password; signs them out everywhere (204)", obj(map[string]any{"password": str, "reason": str}), "204", "username")},
		"/api/v1/admin/officers/{username}/totp":         map[string]any{"post": op("Admin: enrol a new authenticator secret (secret, otpauth_url); in force once confirmed", nil, "200", "username"), "delete": op("Admin: remove the officer's authenticator (204)", nil, "204", "username")},
		"/api/v1/admin/officers/{username}/totp/confirm": map[string]any{"post": op("Admin: confirm the enrolment with a current code from the officer's device (204)", obj(map[string]any{"code": str}), "204", "username")},
		"/api/v1/admin/settings": map[string]any{
			"get": op("Admin: settings in force (secrets masked), their version and the defaults", nil, "200"),
			"put": op("Province admin: save a new settings version (base_version must be the one in force; 409 settings_conflict otherwise)", obj(map[string]any{"base_version": map[string]any{"type": "integer"}, "settings": any_, "note": str}), "200"),
		},
		"/api/v1/admin/settings/history": map[string]any{"get": op("Admin: saved settings versions, newest first", nil, "200")},
		"/api/v1/admin/retention/run":    map[string]any{"post": op("Admin: run the retention jobs now (each feature's purge is audited)", nil, "200")},
		"/api/v1/audit":                  map[string]any{"get": op("Supervisor/admin: audit entries (exact or prefix* filters, RFC 3339 from/to, after= cursor)", nil, "200", filter...)},
		"/api/v1/audit/export":           map[string]any{"get": op("Supervisor/admin: export matching entries as CSV or JSON (?format=csv|json); audited", nil, "200", append(filter, "format")...)},
		"/api/v1/audit/verify":           map[string]any{"get": op("Supervisor/admin: walk the hash chain (same as `open110 audit verify`)", nil, "200")},
		"/api/v1/dashboard":              map[string]any{"get": op("Supervisor/admin: the day's picture of a centre's area (Beijing date)", nil, "200", "center", "date")},
		"/api/v1/dashboard/{chart}":      map[string]any{"get": op("Supervisor/admin: one chart as CSV: answer_times.csv, per_hour.csv, queue.csv, abandoned.csv, dispatchers.csv, places.csv", nil, "200", "chart", "center", "date")},
	}
}
