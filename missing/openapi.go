package missing

// OpenAPI returns the feature's OpenAPI 3.1 paths (merged by the node into
// /api/v1/openapi.json).
func OpenAPI() map[string]any {
	str := map[string]any{"type": "string"}
	num := map[string]any{"type": "number"}
	integer := map[string]any{"type": "integer"}
	boolean := map[string]any{"type": "boolean"}
	object := func(props map[string]any, required ...string) map[string]any {
		o := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			o["required"] = required
		}
		return o
	}
	pos := map[string]any{"$ref": "#/components/schemas/Position"}
	notice := map[string]any{"type": "object", "description": "A notice as the caller may see it (public: no initiator, case number or exact position; initiator: own notice with progress; officers: everything)."}
	op := func(summary string, auth bool, body map[string]any, status string, resp map[string]any, params ...map[string]any) map[string]any {
		o := map[string]any{"summary": summary, "tags": []any{"missing persons"}, "responses": map[string]any{
			status:    map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": resp}}},
			"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		}}
		if auth {
			o["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		if body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}}
		}
		if len(params) > 0 {
			ps := make([]any, len(params))
			for i, p := range params {
				ps[i] = p
			}
			o["parameters"] = ps
		}
		return o
	}
	path := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": str}
	}
	query := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	submission := object(map[string]any{
		"person": object(map[string]any{
			"name": str, "sex": map[string]any{"enum": []any{"male", "female"}}, "age": integer,
			"birth_date": map[string]any{"type": "string", "format": "date"}, "height_cm": integer,
			"build": map[string]any{"enum": []any{"slim", "medium", "stout"}}, "features": str, "clothing": str,
		}, "name", "sex"),
		"last_seen": object(map[string]any{"at": map[string]any{"type": "string", "format": "date-time"}, "position": pos, "place": str}, "at", "position", "place"),
		"police": object(map[string]any{
			"unit":  map[string]any{"type": "string", "description": "6-digit Hebei unit code (outside Hebei: 422 unit_outside_hebei)"},
			"phone": map[string]any{"type": "string", "description": "landline with area code (0311-87654321) or mobile"},
			"case_number": map[string]any{"type": "string", "pattern": "^[AJ][0-9]{22}$",
				"description": "A (case) or J (incident) + 12-digit police organ code starting with the unit's administrative code + yyyymm + 4-digit number, e.g. A1301020000002025050001; spaces and hyphens ignored"},
		}, "unit", "phone", "case_number"),
		"initiator": object(map[string]any{
			"name": str, "relation": map[string]any{"enum": []any{"parent", "child", "spouse", "sibling", "grandparent", "grandchild", "relative", "guardian"}},
			"phone": map[string]any{"type": "string", "description": "default: the account's phone; never public"}, "address": map[string]any{"type": "string", "description": "never public"},
		}, "relation"),
	}, "person", "last_seen", "police", "initiator")
	list := object(map[string]any{"notices": map[string]any{"type": "array", "items": notice}})
	media := object(map[string]any{"sha256": str, "kind": str, "content_type": str, "size": integer, "url": str})
	sighting := object(map[string]any{"text": str, "seen_at": map[string]any{"type": "string", "format": "date-time"}, "position": pos, "anonymous": boolean}, "text")
	area := object(map[string]any{"enabled": boolean, "county": object(map[string]any{"code": str, "name": str}), "point": pos, "since": str})
	checks := object(map[string]any{"initiator_contacted": boolean, "unit_confirmed": boolean, "case_number_confirmed": boolean, "note": str})
	binary := map[string]any{"type": "string", "format": "binary"}
	mediaOp := func(summary string, auth bool) map[string]any {
		o := op(summary, auth, nil, "200", binary, path("id"), path("sha"))
		return o
	}
	return map[string]any{
		"/api/v1/missing/notices": map[string]any{
			"post": op("Family: submit a notice for a case the police accepted (201, state submitted). Errors: missing_field, invalid_age, invalid_birth_date, last_seen_in_future, invalid_case_number, case_number_unit_mismatch, invalid_unit_phone, unit_outside_hebei, duplicate_case…", true, submission, "201", notice),
			"get":  op("Citizen: own notices, newest first. Officer: the centre's queue (province: all), oldest first", true, nil, "200", list, query("state", "officers: comma-separated states (default submitted,verifying)", str)),
		},
		"/api/v1/missing/notices/{id}": map[string]any{"get": op("A notice for its initiator or an officer of the responsible centre (others: 404). Officer reads are audited", true, nil, "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/media": map[string]any{"post": map[string]any{
			"summary": "Family: add a photo (JPEG/PNG/WebP/GIF ≤ 10 MiB) or video (MP4/MOV/WebM ≤ 100 MiB) as the raw body; the type is sniffed from the content. Until published; at most 12",
			"tags":    []any{"missing persons"}, "security": []any{map[string]any{"bearer": []any{}}}, "parameters": []any{path("id")},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": binary}}},
			"responses": map[string]any{"201": map[string]any{"description": "stored", "content": map[string]any{"application/json": map[string]any{"schema": media}}},
				"default": map[string]any{"description": "unsupported_media (415), media_too_large (413), too_many_media (409)"}},
		}},
		"/api/v1/missing/notices/{id}/media/{sha}": map[string]any{"get": mediaOp("A notice's photo or video (initiator, or officers: audited)", true)},
		"/api/v1/missing/notices/{id}/withdraw":    map[string]any{"post": op("Family: withdraw before publication", true, nil, "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/verify":      map[string]any{"post": op("Officer: start verification (submitted → verifying)", true, object(map[string]any{"note": str}), "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/publish": map[string]any{"post": op("Officer: publish (verifying → published) once unit and case number are confirmed (422 checks_incomplete); sends the first alert ring",
			true, object(map[string]any{"checks": checks, "place_public": str}, "checks"), "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/reject": map[string]any{"post": op("Officer: reject with a reason the initiator sees", true, object(map[string]any{"reason": str, "checks": checks}, "reason"), "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/close": map[string]any{"post": op("Officer: close as found, withdrawn or hoax; a published notice is replaced by the public closure notice, which reaches everyone alerted",
			true, object(map[string]any{"outcome": map[string]any{"enum": []any{"found", "withdrawn", "hoax"}}, "notice": str}, "outcome"), "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/progress":  map[string]any{"post": op("Officer: a progress note the initiator sees", true, object(map[string]any{"text": str}, "text"), "200", notice, path("id"))},
		"/api/v1/missing/notices/{id}/sightings": map[string]any{"get": op("Officer: the notice's sightings, newest first (audited)", true, nil, "200", object(map[string]any{"sightings": map[string]any{"type": "array"}}), path("id"))},
		"/api/v1/missing/sightings/{sid}/triage": map[string]any{"post": op("Officer: triage a sighting", true,
			object(map[string]any{"status": map[string]any{"enum": []any{"relevant", "followed_up", "not_relevant", "duplicate"}}, "note": str}, "status"), "200", map[string]any{"type": "object"}, path("sid"))},
		"/api/v1/missing/sightings/{sid}/photo": map[string]any{"get": op("Officer: a sighting's photo (audited)", true, nil, "200", binary, path("sid"))},
		"/api/v1/missing/public": map[string]any{"get": op("Public feed (signed out too), newest first; closure notices with state=closed", false, nil, "200",
			object(map[string]any{"items": map[string]any{"type": "array", "items": notice}, "next": str}),
			query("state", "published (default) or closed", str), query("city", "city code, e.g. 130100", str), query("lat", "WGS-84", num), query("lng", "WGS-84", num),
			query("within_km", "with lat/lng: distance from that point", num), query("before", "cursor from the previous page", str), query("limit", "1–50 (default 20)", integer))},
		"/api/v1/missing/public/{id}":             map[string]any{"get": op("A published notice or its closure notice (never-published: 404). Shows the unit's phone, never the family's contact", false, nil, "200", notice, path("id"))},
		"/api/v1/missing/public/{id}/media/{sha}": map[string]any{"get": mediaOp("A published notice's photo or video", false)},
		"/api/v1/missing/public/{id}/sightings": map[string]any{"post": map[string]any{
			"summary": "Send a sighting (signed in or out; anonymous hides the sender from officers). JSON, or multipart/form-data with a \"sighting\" JSON part first and an optional \"photo\" part (≤ 10 MiB, sniffed)",
			"tags":    []any{"missing persons"}, "parameters": []any{path("id")},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": sighting},
				"multipart/form-data": map[string]any{"schema": object(map[string]any{"sighting": sighting, "photo": binary}, "sighting")}}},
			"responses": map[string]any{"201": map[string]any{"description": "received", "content": map[string]any{"application/json": map[string]any{"schema": object(map[string]any{"id": str, "notice_id": str, "anonymous": boolean, "created_at": str})}}},
				"default": map[string]any{"description": "error"}},
		}},
		"/api/v1/missing/alerts": map[string]any{
			"get":    op("Citizen: area alert setting", true, nil, "200", area),
			"put":    op("Citizen: opt in with a coarse area: a county/city code (its label point) or a point (stored rounded to 0.1°)", true, object(map[string]any{"county": str, "point": pos}), "200", area),
			"delete": op("Citizen: opt out (204)", true, nil, "204", map[string]any{}),
		},
		"/api/v1/missing/inbox": map[string]any{"get": op("Citizen: alerts and closure notices that reached the opted-in area, newest first", true, nil, "200",
			object(map[string]any{"area": area, "unread": integer, "cursor": integer, "items": map[string]any{"type": "array"}}))},
		"/api/v1/missing/inbox/read": map[string]any{"post": op("Citizen: mark the inbox read up to a seq (204)", true, object(map[string]any{"upto": integer}, "upto"), "204", map[string]any{})},
		"/api/v1/missing/live": map[string]any{"get": op("WebSocket (token in ?access_token=): hello {cursor}, then event messages — officers: their centre's submissions, state changes, media, sightings; citizens: their notices' state and progress, and alerts/closures for their area",
			true, nil, "101", object(map[string]any{"type": str, "cursor": integer, "event": map[string]any{"type": "object"}}), query("cursor", "resume after this seq", integer))},
	}
}
