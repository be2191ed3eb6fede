package tip

// OpenAPI returns the OpenAPI 3.1 paths of the tip endpoints.
func OpenAPI() map[string]any {
	str := map[string]any{"type": "string"}
	num := map[string]any{"type": "number"}
	boolean := map[string]any{"type": "boolean"}
	arr := func(items any) map[string]any { return map[string]any{"type": "array", "items": items} }
	obj := func(props map[string]any, required ...string) map[string]any {
		o := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			o["required"] = required
		}
		return o
	}
	pos := map[string]any{"$ref": "#/components/schemas/Position"}
	unit := obj(map[string]any{"code": str, "name": str})
	media := obj(map[string]any{"id": str, "kind": map[string]any{"type": "string", "enum": []string{"photo", "video", "audio"}}, "mime": str,
		"sha256": str, "size": num, "captured_at": str, "position": pos, "uploaded_at": str, "attestation_hash": str, "audit_seq": num})
	message := obj(map[string]any{"id": num, "from": map[string]any{"type": "string", "enum": []string{"tipster", "police"}}, "text": str, "at": str})
	tipSchema := obj(map[string]any{"id": str, "category": str, "description": str, "position": pos, "center": unit, "routed_center": str,
		"identity": map[string]any{"type": "string", "enum": []string{"sealed", "anonymous"}, "description": "never the identity itself"},
		"state":    map[string]any{"type": "string", "enum": []string{"submitted", "assigned", "handling", "closed"}},
		"result":   str, "result_note": str, "handler": str, "flags": arr(str), "media": arr(media), "created_at": str,
		"messages": arr(message), "views": arr(obj(map[string]any{"at": str, "what": str})), "assigned": boolean})
	summary := obj(map[string]any{"id": str, "category": str, "center": unit, "state": str, "result": str, "handler": str,
		"flags": arr(str), "media_count": num, "identity": str, "created_at": str,
		"views": obj(map[string]any{"count": num, "last": str}), "messages": num})
	auditEntry := obj(map[string]any{"seq": num, "at": str, "actor": str, "actor_ip": str, "request_ip": str, "action": str,
		"object": str, "reason": str, "detail": map[string]any{"type": "object"}, "prev_hash": str, "hash": str})
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	op := func(summary string, auth bool, body any, status string, resp any, params ...any) map[string]any {
		o := map[string]any{"summary": summary, "tags": []string{"tips"}, "responses": map[string]any{
			status:    map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": resp}}},
			"default": errResp,
		}}
		if auth {
			o["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		if body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}}
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		return o
	}
	path := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": str}
	}
	query := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": str}
	}
	header := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": true, "description": desc, "schema": str}
	}
	upload := op("Upload one in-app capture (raw body: JPEG/PNG/WebP, WebM/MP4/Ogg, WAV/MP3; the type is sniffed from the content). "+
		"Refused without a valid capture token: capture_token_required, capture_token_invalid, capture_token_expired, capture_token_used, "+
		"capture_time_outside_window, capture_position_implausible, hash_required, hash_mismatch, unsupported_media, media_type_mismatch, media_too_large. "+
		"The attestation is appended to the audit chain.", true, nil, "201", media,
		header("X-Capture-Token", "from POST /api/v1/tips/capture-tokens; single use"),
		header("X-Capture-Time", "capture time, RFC 3339"),
		header("X-Capture-Position", "lat,lng[,accuracy_m] in WGS-84"),
		header("X-Content-SHA256", "the app's SHA-256 of the body, hex"))
	upload["requestBody"] = map[string]any{"required": true, "content": map[string]any{
		"image/jpeg": map[string]any{}, "image/png": map[string]any{}, "video/webm": map[string]any{}, "audio/webm": map[string]any{},
		"video/mp4": map[string]any{}, "audio/ogg": map[string]any{}, "audio/wav": map[string]any{}}}
	mediaGet := op("One capture's bytes (tipster, or an officer who may see the tip — audited tip.media.view)", true, nil, "200", str, path("id"), path("mid"))
	exp := op("Evidence export (zip: manifest.json with attestations and the audit proof, media/…); check offline with `open110 evidence verify`. Audited tip.export.", true, nil, "200", str, path("id"))
	exp["responses"].(map[string]any)["200"] = map[string]any{"description": "application/zip"}
	return map[string]any{
		"/api/v1/tips/categories": map[string]any{"get": op("Tip categories and closing results (codes with Chinese and English names; public)", false, nil, "200",
			obj(map[string]any{"categories": arr(obj(map[string]any{"code": str, "zh": str, "en": str})), "results": arr(obj(map[string]any{"code": str, "zh": str, "en": str}))}))},
		"/api/v1/tips/capture-tokens": map[string]any{"post": op("A capture token for one in-app capture (citizen; bound to the user, expires in 10 minutes, single use)", true, nil, "201",
			obj(map[string]any{"token": str, "issued_at": str, "expires_at": str}, "token", "issued_at", "expires_at"))},
		"/api/v1/tips/media": map[string]any{"post": upload},
		"/api/v1/tips": map[string]any{
			"post": op("Submit a tip (citizen). center defaults to the one routed from position; anonymous stores no identity, otherwise name and the signed-in phone are sealed. "+
				"Errors: unknown_category, invalid_description, invalid_position, unknown_center, outside_jurisdiction, media_unavailable, media_far_from_tip.", true,
				obj(map[string]any{"category": str, "description": str, "position": pos, "center": str, "media": arr(str), "anonymous": boolean, "name": str}, "category", "description", "position"),
				"201", tipSchema),
			"get": op("Tip queue of a centre (handler: own centre; supervisor: own centre or one below). No descriptions: open a tip to read it.", true, nil, "200",
				obj(map[string]any{"tips": arr(summary)}), query("center", "centre code, default the officer's"), query("state", "submitted|assigned|handling|closed|all; default open ones"), query("mine", "1: only tips assigned to me")),
		},
		"/api/v1/tips/mine":             map[string]any{"get": op("The citizen's own tips: state, result, how often and when last viewed by officers (not by whom)", true, nil, "200", obj(map[string]any{"tips": arr(summary)}))},
		"/api/v1/tips/{id}":             map[string]any{"get": op("One tip without identity: the tipster's own (with views), or for an officer who may see it (audited tip.view)", true, nil, "200", tipSchema, path("id"))},
		"/api/v1/tips/{id}/media/{mid}": map[string]any{"get": mediaGet},
		"/api/v1/tips/{id}/messages": map[string]any{
			"get":  op("The dialogue, for the tipster (after=<id> for new ones)", true, nil, "200", obj(map[string]any{"messages": arr(message)}), path("id"), query("after", "message id")),
			"post": op("Write in the dialogue: the tipster or the assigned handler; the tipster is never named", true, obj(map[string]any{"text": str}, "text"), "201", message, path("id")),
		},
		"/api/v1/tips/{id}/assign": map[string]any{"post": op("Assign (or reassign) to a handler of the tip's centre: supervisors of the centre or above", true,
			obj(map[string]any{"handler": str}, "handler"), "200", tipSchema, path("id"))},
		"/api/v1/tips/{id}/accept": map[string]any{"post": op("Start handling (assigned handler)", true, nil, "200", tipSchema, path("id"))},
		"/api/v1/tips/{id}/close": map[string]any{"post": op("Close with a result: verified (查实), partly_verified (部分查实), not_verified (未查实), transferred (移交) (assigned handler)", true,
			obj(map[string]any{"result": str, "note": str}, "result"), "200", tipSchema, path("id"))},
		"/api/v1/tips/{id}/identity/reveal": map[string]any{"post": op("Reveal the tipster's name and phone: only the assigned handler, with a reason; audited with time, account, sign-in IP and request IP. "+
			"Others: not_assigned_handler (logged). Anonymous tips: tip_anonymous.", true, obj(map[string]any{"reason": str}, "reason"), "200",
			obj(map[string]any{"name": str, "phone": str}), path("id"))},
		"/api/v1/tips/{id}/access-log": map[string]any{"get": op("Every audited action on the tip (who, when, IPs, reason) for supervisors and administrators; never the identity", true, nil, "200",
			obj(map[string]any{"entries": arr(auditEntry)}), path("id"))},
		"/api/v1/tips/{id}/export": map[string]any{"get": exp},
	}
}
