package media

// OpenAPI returns the OpenAPI 3.1 paths of the media endpoints.
func OpenAPI() map[string]any {
	s := func() map[string]any { return map[string]any{"type": "string"} }
	i := func() map[string]any { return map[string]any{"type": "integer"} }
	b := func() map[string]any { return map[string]any{"type": "boolean"} }
	t := func() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
	arr := func(items map[string]any) map[string]any { return map[string]any{"type": "array", "items": items} }
	obj := func(props map[string]any, req ...string) map[string]any {
		o := map[string]any{"type": "object", "properties": props}
		if len(req) > 0 {
			o["required"] = req
		}
		return o
	}
	body := func(schema map[string]any) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	resp := func(code, desc string, schema map[string]any) map[string]any {
		r := map[string]any{"description": desc}
		if schema != nil {
			r["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
		}
		return map[string]any{code: r, "default": map[string]any{"description": "error {\"error\":{\"code\",\"message\"}}"}}
	}
	idParam := []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": s()}}
	tokParam := []any{map[string]any{"name": "token", "in": "path", "required": true, "schema": s()}}
	ice := obj(map[string]any{"urls": arr(s()), "username": s(), "credential": s()}, "urls")
	segment := obj(map[string]any{"alarm_id": s(), "track": s(), "seq": i(), "start": t(), "end": t(),
		"sha256": s(), "size": i(), "codecs": s(), "stored_at": t()})
	snapshot := obj(map[string]any{"id": s(), "alarm_id": s(), "sha256": s(), "size": i(), "content_type": s(), "taken_by": s(), "taken_at": t()})
	tag := []any{"media"}
	return map[string]any{
		"/api/v1/alarms/{id}/rtc": map[string]any{"get": map[string]any{
			"tags": tag, "summary": "WebRTC signalling WebSocket for the alarm (caller, answering dispatcher, observers)",
			"description": "Upgrade to a WebSocket. Auth: bearer token (browsers: ?access_token=) or ?media_session= from a claimed video link. " +
				"JSON text messages. Client→server: {type:offer,sdp} (also renegotiation and ICE restart), {type:candidate,candidate}, {type:bye}. " +
				"Server→client: {type:hello,role,kind,send[],receive[{from,kinds[]}],ice_servers[]} first; {type:answer,sdp}; {type:candidate}; " +
				"{type:state,state:connected|disconnected|failed|media_timeout|answered}; {type:peer,peer,state:joined|left}; {type:error,code,message}; {type:closed,reason}. " +
				"The client offers one m-line per kind it sends (sendrecv when it also receives that kind from the first receive entry) and recvonly m-lines for the rest, in receive order. " +
				"Per-kind rules are enforced by the server: a silent-alarm caller never receives any track; voice alarms carry audio only. media_timeout: fall back to text and offer 110/12110.",
			"parameters": append(idParam,
				map[string]any{"name": "access_token", "in": "query", "schema": s()},
				map[string]any{"name": "media_session", "in": "query", "schema": s()}),
			"responses": map[string]any{"101": map[string]any{"description": "switching to WebSocket"},
				"default": map[string]any{"description": "error: not_in_alarm (403), no_media (409, text/SMS alarm without a video link), alarm_closed (409)"}},
		}},
		"/api/v1/media/ice-servers": map[string]any{"get": map[string]any{
			"tags": tag, "summary": "ICE servers with short-lived TURN credentials (REST style: username <expiry>:<who>, HMAC password)",
			"parameters": []any{map[string]any{"name": "media_session", "in": "query", "schema": s()}},
			"responses":  resp("200", "ICE servers", obj(map[string]any{"ice_servers": arr(ice), "ttl_s": i()})),
		}},
		"/api/v1/alarms/{id}/video-link": map[string]any{"post": map[string]any{
			"tags": tag, "summary": "Send the caller a one-time video link by SMS (answering dispatcher only; text, SMS or voice alarms)",
			"parameters":  idParam,
			"requestBody": body(obj(map[string]any{"phone": s()})),
			"responses":   resp("201", "sent", obj(map[string]any{"sent_to": s(), "expires_at": t()})),
		}},
		"/api/v1/media/links/{token}": map[string]any{"get": map[string]any{
			"tags": tag, "summary": "Whether a video link can still be used (does not spend it); 404 link_invalid",
			"parameters": tokParam,
			"responses":  resp("200", "valid", obj(map[string]any{"valid": b(), "expires_at": t()})),
		}},
		"/api/v1/media/links/{token}/claim": map[string]any{"post": map[string]any{
			"tags": tag, "summary": "Spend a video link after consent; returns a media session for the alarm's rtc socket",
			"parameters":  tokParam,
			"requestBody": body(obj(map[string]any{"consent": b()}, "consent")),
			"responses":   resp("200", "claimed", obj(map[string]any{"alarm_id": s(), "media_session": s(), "expires_at": t()})),
		}},
		"/api/v1/alarms/{id}/recordings": map[string]any{"get": map[string]any{
			"tags": tag, "summary": "Recorded evidence of the alarm: WebM segments and snapshots (officers in the alarm)",
			"parameters": idParam,
			"responses":  resp("200", "recordings", obj(map[string]any{"segments": arr(segment), "snapshots": arr(snapshot), "recording": b()})),
		}},
		"/api/v1/alarms/{id}/recordings/play": map[string]any{"post": map[string]any{
			"tags": tag, "summary": "Play recordings (audited): a playlist of short-lived segment URLs",
			"parameters":  idParam,
			"requestBody": body(obj(map[string]any{"reason": s(), "seq": i(), "track": s()}, "reason")),
			"responses": resp("200", "playlist", obj(map[string]any{"segments": arr(map[string]any{"allOf": []any{segment,
				obj(map[string]any{"url": s()})}})})),
		}},
		"/api/v1/media/play/{ticket}": map[string]any{"get": map[string]any{
			"tags": tag, "summary": "A recorded segment (video/webm, Range supported) by a ticket from recordings/play",
			"parameters": []any{map[string]any{"name": "ticket", "in": "path", "required": true, "schema": s()}},
			"responses": map[string]any{"200": map[string]any{"description": "video/webm",
				"content": map[string]any{"video/webm": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}},
		}},
		"/api/v1/alarms/{id}/snapshots": map[string]any{"post": map[string]any{
			"tags": tag, "summary": "Save a still of the live video to evidence (image/jpeg or image/png, ≤ 5 MB; audited)",
			"parameters": idParam,
			"requestBody": map[string]any{"required": true, "content": map[string]any{
				"image/jpeg": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				"image/png":  map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
			"responses": resp("201", "saved", snapshot),
		}},
	}
}
