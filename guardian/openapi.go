package guardian

// OpenAPI returns the OpenAPI 3.1 paths of the guardian endpoints.
func OpenAPI() map[string]any {
	s := func() map[string]any { return map[string]any{"type": "string"} }
	n := func() map[string]any { return map[string]any{"type": "number"} }
	i := func() map[string]any { return map[string]any{"type": "integer"} }
	b := func() map[string]any { return map[string]any{"type": "boolean"} }
	t := func() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
	enum := func(v ...string) map[string]any { return map[string]any{"type": "string", "enum": v} }
	arr := func(items map[string]any) map[string]any { return map[string]any{"type": "array", "items": items} }
	obj := func(props map[string]any, req ...string) map[string]any {
		o := map[string]any{"type": "object", "properties": props}
		if len(req) > 0 {
			o["required"] = req
		}
		return o
	}
	pathParam := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": s()}
	}
	query := func(name, desc string, required bool) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": required, "description": desc, "schema": s()}
	}
	op := func(summary string, body, resp map[string]any, status string, params ...map[string]any) map[string]any {
		o := map[string]any{"summary": summary, "tags": []string{"guardians"}, "security": []any{map[string]any{"bearer": []any{}}},
			"responses": map[string]any{
				status:    map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": resp}}},
				"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			}}
		if body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}}
		}
		if len(params) > 0 {
			ps := []any{}
			for _, p := range params {
				ps = append(ps, p)
			}
			o["parameters"] = ps
		}
		return o
	}
	pos := obj(map[string]any{"lat": n(), "lng": n(), "accuracy_m": n()}, "lat", "lng")
	point := obj(map[string]any{"seq": i(), "at": t(), "lat": n(), "lng": n(), "accuracy_m": n()}, "seq", "at", "lat", "lng")
	link := obj(map[string]any{"id": s(), "state": enum("pending", "accepted", "declined", "revoked"), "default": b(), "label": s(),
		"owner_id": s(), "owner_phone": s(), "guardian_id": s(), "guardian_phone": s(), "created_at": t(), "updated_at": t()}, "id", "state")
	links := obj(map[string]any{"guardians": arr(link), "guarding": arr(link), "invites": arr(link)})
	media := obj(map[string]any{"id": s(), "kind": enum("photo", "video", "audio"), "mime": s(), "sha256": s(), "size": i(),
		"captured_at": t(), "location": pos, "uploaded_at": t(), "rev": i()})
	trip := obj(map[string]any{"id": s(), "mode": enum("taxi", "night_run", "meeting", "other"), "note": s(), "destination": s(),
		"expected_at": t(), "state": enum("active", "ended"), "end_kind": enum("arrived", "expired"), "started_at": t(), "ended_at": t(),
		"traveller_id": s(), "traveller_phone": s(), "guardians": arr(obj(map[string]any{"id": s(), "phone": s(), "label": s()})),
		"last": point, "last_seen_at": t(), "overdue": b(), "silent": b(),
		"alarms": arr(obj(map[string]any{"alarm_id": s(), "raised_by": enum("traveller", "guardian", "duress"), "raiser_id": s(), "at": t(), "center": s()})),
		"role":   enum("traveller", "guardian", "police"), "cursor": i()}, "id", "mode", "state")
	event := obj(map[string]any{"rev": i(), "type": s(), "at": t(), "actor": s(), "data": map[string]any{"type": "object"}})
	id := pathParam("id")
	pin := obj(map[string]any{"set": b()})
	return map[string]any{
		"/api/v1/guardians": map[string]any{
			"get": op("My guardians, the people I guard and invitations waiting for me", nil, links, "200"),
			"post": op("Invite a registered citizen by phone to be my guardian (404 not_registered, 409 already_linked / too_many_guardians / too_many_defaults)",
				obj(map[string]any{"phone": s(), "label": s(), "default": b()}, "phone"), link, "201"),
		},
		"/api/v1/guardians/{id}/accept":  map[string]any{"post": op("Accept an invitation to guard", nil, link, "200", id)},
		"/api/v1/guardians/{id}/decline": map[string]any{"post": op("Decline an invitation to guard", nil, link, "200", id)},
		"/api/v1/guardians/{id}/default": map[string]any{"put": op("Mark or unmark a default guardian (at most 5)", obj(map[string]any{"default": b()}, "default"), link, "200", id)},
		"/api/v1/guardians/{id}": map[string]any{"delete": op("Revoke a link (either side); a revoked guardian loses every trip at once", nil,
			map[string]any{}, "204", id)},
		"/api/v1/guardians/duress-pin": map[string]any{
			"get":    op("Whether a duress PIN is set", nil, pin, "200"),
			"put":    op("Set the duress PIN (4-8 digits, stored hashed); ending a trip with it looks normal and raises a silent alarm", obj(map[string]any{"pin": s()}, "pin"), pin, "200"),
			"delete": op("Remove the duress PIN", nil, pin, "200"),
		},
		"/api/v1/trips": map[string]any{
			"get": op("My trips and the trips I guard", nil, obj(map[string]any{"trips": arr(trip), "guarding": arr(trip)}), "200"),
			"post": op("Start a guarded trip with chosen (link IDs) or default guardians (409 trip_active, 422 no_guardians)",
				obj(map[string]any{"mode": enum("taxi", "night_run", "meeting", "other"), "note": s(), "destination": s(), "expected_at": t(), "guardians": arr(s())}, "mode"),
				trip, "201"),
		},
		"/api/v1/trips/access-log": map[string]any{"get": op("Every police read of my trip data (officer, time, IP, alarm)", nil,
			obj(map[string]any{"accesses": arr(obj(map[string]any{"at": t(), "officer": s(), "ip": s(), "action": s(), "trip_id": s(), "alarm_id": s(), "audit_seq": i()}))}), "200")},
		"/api/v1/trips/{id}": map[string]any{"get": op("A trip, for its traveller or a guardian it names (404 for everyone else, officers included)", nil, trip, "200", id)},
		"/api/v1/trips/{id}/points": map[string]any{
			"get": op("The track in capture order", nil, obj(map[string]any{"points": arr(point)}), "200", id),
			"post": op("Upload a batch of track points (1-500). seq is the idempotency key: duplicates are ignored; future, pre-trip and after-end points are refused one by one; every seq not refused is durable when this answers",
				obj(map[string]any{"points": arr(point)}, "points"),
				obj(map[string]any{"accepted": i(), "duplicates": i(), "rejected": arr(obj(map[string]any{"seq": i(), "code": enum("point_in_future", "point_before_trip", "after_trip_end")})), "cursor": i()}), "200", id),
		},
		"/api/v1/trips/{id}/media": map[string]any{"post": func() map[string]any {
			o := op("Upload a photo, short video or voice clip captured in the app (raw bytes; type sniffed; SHA-256 recorded)", nil, media, "201", id,
				query("kind", "photo, video or audio", true), query("client_id", "the app's ID for the capture (retries store it once)", true),
				query("captured_at", "RFC 3339", false), query("lat", "capture latitude", false), query("lng", "capture longitude", false))
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			return o
		}()},
		"/api/v1/trips/{id}/media/{media}": map[string]any{"get": op("The bytes of one media item (traveller or guardian)", nil, map[string]any{"type": "string", "format": "binary"}, "200", id, pathParam("media"))},
		"/api/v1/trips/{id}/checkin":       map[string]any{"post": op("\"I'm fine\": answers an overdue prompt, optionally with a new expected arrival", obj(map[string]any{"expected_at": t()}), trip, "200", id)},
		"/api/v1/trips/{id}/end":           map[string]any{"post": op("Arrived safely (到达报平安). With the duress PIN the answer is the same and a silent alarm is raised", obj(map[string]any{"pin": s()}), trip, "200", id)},
		"/api/v1/trips/{id}/alarms": map[string]any{"post": op("Raise an alarm from the trip: the traveller's SOS or a guardian's alarm for them, routed by the last position and linked to the trip",
			obj(map[string]any{"kind": enum("video", "silent", "voice", "text")}), obj(map[string]any{"alarm_id": s(), "center": s(), "trip_id": s()}), "201", id)},
		"/api/v1/trips/{id}/feed": map[string]any{"get": op("Live view (WebSocket; ?access_token=): a snapshot, then updates {type, cursor, trip, points, media, events} after ?cursor=",
			nil, obj(map[string]any{"type": enum("snapshot", "update", "error"), "cursor": i(), "trip": trip, "points": arr(point), "media": arr(media), "events": arr(event)}), "101", id,
			query("cursor", "resume after this cursor", false))},
		"/api/v1/trips/linked": map[string]any{"get": op("Police: the trip linked to an alarm — track and media from before the alarm — for a dispatcher or handling officer of the centre the open alarm is with; audited; 404 for everyone else",
			nil, obj(map[string]any{"alarm_id": s(), "trip": trip, "cutoff": t(), "points": arr(point), "media": arr(media), "notice": s()}), "200",
			query("alarm_id", "the linked alarm", true))},
		"/api/v1/trips/linked/media/{media}": map[string]any{"get": op("Police: one pre-alarm media item of the linked trip (audited)", nil,
			map[string]any{"type": "string", "format": "binary"}, "200", pathParam("media"), query("alarm_id", "the linked alarm", true))},
	}
}
