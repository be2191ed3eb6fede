package alarm

// OpenAPI returns the OpenAPI 3.1 path items of the alarm endpoints.
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
	any_ := map[string]any{"type": "object"}
	pos := obj(map[string]any{"lat": n(), "lng": n(), "accuracy_m": n(), "source": s()}, "lat", "lng")
	center := obj(map[string]any{"code": s(), "name": s()}, "code", "name")
	kinds := enum("video", "silent", "voice", "text", "sms")
	states := enum("queued", "answered", "closed", "cancelled", "abandoned")
	alarm := obj(map[string]any{
		"id": s(), "kind": kinds, "state": states, "center": center,
		"routing": obj(map[string]any{"by": enum("position", "cell", "number", "province", "outside"),
			"outside_jurisdiction": b(), "nearest": center, "nearest_m": n(), "reason": s(), "home_center": s()}),
		"offered_to": arr(center), "overflow": i(), "caller_phone": s(), "links": map[string]any{"type": "object", "additionalProperties": s()},
		"location": pos, "location_seq": i(), "latest_position_seq": i(), "suspected": b(),
		"suspicion": arr(obj(map[string]any{"code": s(), "detail": s()})),
		"raised_at": t(), "queued_at": t(), "answered_at": t(), "answered_by": s(), "ended_at": t(), "disposition": s(), "cursor": i(),
	}, "id", "kind", "state", "center")
	message := obj(map[string]any{"id": s(), "alarm_id": s(), "seq": i(), "from": enum("caller", "dispatcher", "system"), "sender": s(),
		"text": s(), "channel": enum("app", "sms"), "at": t(), "delivered_at": t(), "read_at": t(), "send_error": s()}, "from", "text", "at")
	fix := obj(map[string]any{"seq": i(), "at": t(), "lat": n(), "lng": n(), "accuracy_m": n(), "source": s(), "confirmed": b()})
	event := obj(map[string]any{"seq": i(), "alarm_id": s(), "type": s(), "at": t(), "actor": s(), "reason": s(), "alarm": alarm, "data": any_})
	events := obj(map[string]any{"events": arr(event), "cursor": i()})
	unit := obj(map[string]any{"id": s(), "unit": s(), "note": s(), "dispatched_at": t(), "arrived_at": t(), "cleared_at": t(), "dispatched_by": s()})
	callback := obj(map[string]any{"id": s(), "at": t(), "officer": s(), "outcome": enum(CallbackOutcomes...), "note": s()})
	incident := obj(map[string]any{"alarm_id": s(), "category": enum(append([]string{""}, Categories...)...), "priority": i(),
		"address": s(), "notes": s(), "disposition": s(), "units": arr(unit), "callbacks": arr(callback), "updated_at": t(), "updated_by": s()})
	ans := obj(map[string]any{"answered": i(), "answer_time_s": obj(map[string]any{"p50": n(), "p90": n(), "p95": n()}),
		"within": obj(map[string]any{"10s": n(), "15s": n(), "20s": n()})})
	stats := obj(map[string]any{"center": center, "from": t(), "to": t(), "queue_length": i(), "raised": i(), "abandoned": i(),
		"abandoned_share": n(), "answered": i(), "answer_time_s": ans["properties"].(map[string]any)["answer_time_s"],
		"within": ans["properties"].(map[string]any)["within"], "dispatchers": arr(any_)})

	idParam := map[string]any{"name": "id", "in": "path", "required": true, "schema": s()}
	query := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	op := func(summary string, auth bool, body map[string]any, status string, resp map[string]any, params ...map[string]any) map[string]any {
		o := map[string]any{"summary": summary, "tags": []string{"alarms"}, "responses": map[string]any{
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
	ws := func(summary string, params ...map[string]any) map[string]any {
		o := op(summary, true, nil, "101", any_, params...)
		o["description"] = "WebSocket (browsers may pass ?access_token=). Server frames: {type:snapshot,cursor,...}, {type:event,event}, {type:synced,cursor}, {type:error,error}. " +
			"Client frames: {type:ack,alarm_id?,delivered_upto,read_upto}. Resume with ?cursor=N: events after N in seq order, without gaps or duplicates."
		return o
	}
	cursor := query("cursor", "resume after this event seq", i())
	return map[string]any{
		"/api/v1/alarms": map[string]any{
			"post": op("Raise an alarm (citizen). Stored durably before 201. Idempotency-Key header or idempotency_key makes retries return the same alarm. "+
				"A position outside Hebei is still taken, by the province centre 130000, with routing.outside_jurisdiction and the nearest centre.",
				true, obj(map[string]any{"kind": enum("video", "silent", "voice", "text"), "location": pos, "text": s(), "idempotency_key": s()}, "kind"),
				"201", alarm, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false, "schema": s()}),
			"get": op("List alarms: a citizen their own; a dispatcher their centre's and those offered to it; a supervisor their area", true, nil, "200",
				obj(map[string]any{"alarms": arr(alarm)}), query("state", "filter by state", states), query("limit", "1-500, default 100", i())),
		},
		"/api/v1/alarms/{id}":              map[string]any{"get": op("One alarm (404 for alarms the principal may not see)", true, nil, "200", alarm, idParam)},
		"/api/v1/alarms/{id}/answer":       map[string]any{"post": op("Answer (dispatcher). Exactly one concurrent answer wins; others get 409 already_answered", true, nil, "200", alarm, idParam)},
		"/api/v1/alarms/{id}/release":      map[string]any{"post": op("Put an answered alarm back in the queue", true, obj(map[string]any{"reason": s()}), "200", alarm, idParam)},
		"/api/v1/alarms/{id}/transfer":     map[string]any{"post": op("Transfer to another centre with a note", true, obj(map[string]any{"center": s(), "note": s()}, "center", "note"), "200", alarm, idParam)},
		"/api/v1/alarms/{id}/end":          map[string]any{"post": op("Close with a disposition (resolved, dispatched, advice, referred, duplicate, prank, invalid, no_contact, callback_ok or free text)", true, obj(map[string]any{"disposition": s()}, "disposition"), "200", alarm, idParam)},
		"/api/v1/alarms/{id}/cancel":       map[string]any{"post": op("Cancel before an answer (caller)", true, obj(map[string]any{"reason": s()}), "200", alarm, idParam)},
		"/api/v1/alarms/{id}/messages":     map[string]any{"post": op("Write in the chat", true, obj(map[string]any{"text": s(), "client_id": s()}, "text"), "201", message, idParam), "get": op("The chat", true, nil, "200", obj(map[string]any{"messages": arr(message)}), idParam, query("after", "messages after this seq", i()))},
		"/api/v1/alarms/{id}/messages/ack": map[string]any{"post": op("Delivery and read receipts for the other side's messages", true, obj(map[string]any{"delivered_upto": i(), "read_upto": i()}), "200", obj(map[string]any{"changed": i()}), idParam)},
		"/api/v1/alarms/{id}/positions": map[string]any{
			"post": op("Add a position to the alarm's location stream (caller); never replaces the confirmed location", true, pos, "201", fix, idParam),
			"get":  op("The location stream (trail) with the confirmed fix marked", true, nil, "200", obj(map[string]any{"positions": arr(fix)}), idParam),
		},
		"/api/v1/alarms/{id}/positions/{seq}/accept": map[string]any{"post": op("Accept a position as the confirmed location (dispatcher, one action)", true, nil, "200", alarm, idParam,
			map[string]any{"name": "seq", "in": "path", "required": true, "schema": i()})},
		"/api/v1/alarms/{id}/events":    map[string]any{"get": op("One alarm's events after a cursor (callers see no officer-only detail)", true, nil, "200", events, idParam, cursor)},
		"/api/v1/alarms/{id}/feed":      map[string]any{"get": ws("Live feed of one alarm (the caller's view)", idParam, cursor)},
		"/api/v1/alarms/events":         map[string]any{"get": op("The console's events after a cursor (polling fallback of the feed)", true, nil, "200", events, cursor)},
		"/api/v1/alarms/feed":           map[string]any{"get": ws("The console's live feed: snapshot of live alarms, then events", cursor)},
		"/api/v1/alarms/live":           map[string]any{"get": op("Snapshot: live alarms and the cursor to follow", true, nil, "200", obj(map[string]any{"cursor": i(), "alarms": arr(alarm)}))},
		"/api/v1/alarms/phrases":        map[string]any{"get": op("Quick phrases, categories, dispositions and call-back outcomes for the console", true, nil, "200", obj(map[string]any{"phrases": arr(s()), "categories": arr(s()), "dispositions": arr(s()), "callback_outcomes": arr(s())}))},
		"/api/v1/alarms/callbacks":      map[string]any{"get": op("Call-back list: abandoned alarms with their attempts", true, nil, "200", obj(map[string]any{"callbacks": arr(obj(map[string]any{"alarm": alarm, "callbacks": arr(callback)}))}))},
		"/api/v1/alarms/{id}/callbacks": map[string]any{"post": op("Record a call-back attempt", true, obj(map[string]any{"outcome": enum(CallbackOutcomes...), "note": s()}, "outcome"), "201", callback, idParam)},
		"/api/v1/alarms/{id}/incident": map[string]any{
			"get": op("The incident record", true, nil, "200", incident, idParam),
			"put": op("Save the incident record (category 刑事/治安/交通/火灾/求助/纠纷/其他, priority 1-4, address, notes)", true,
				obj(map[string]any{"category": s(), "priority": i(), "address": s(), "notes": s()}), "200", incident, idParam),
		},
		"/api/v1/alarms/{id}/incident/eido":  map[string]any{"get": op("Export as an EIDO-shaped JSON document (NENA-STA-021.1a field names); audited", true, nil, "200", any_, idParam)},
		"/api/v1/alarms/{id}/incident/units": map[string]any{"post": op("Record a dispatched unit", true, obj(map[string]any{"unit": s(), "note": s()}, "unit"), "201", unit, idParam)},
		"/api/v1/alarms/{id}/incident/units/{unit}/status": map[string]any{"post": op("Stamp a unit arrived or cleared", true, obj(map[string]any{"status": enum("arrived", "cleared")}, "status"), "200", unit, idParam,
			map[string]any{"name": "unit", "in": "path", "required": true, "schema": s()})},
		"/api/v1/stats/alarms": map[string]any{"get": op("A centre's queue and answer-time statistics (NENA 90%/15 s, 95%/20 s; NFPA 90%/10 s)", true, nil, "200", stats,
			query("center", "centre code (default: own)", s()), query("from", "RFC 3339 (default: to − 24 h)", t()), query("to", "RFC 3339 (default: now)", t()))},
		"/api/v1/stats/alarms/centers": map[string]any{"get": op("Statistics for every centre in the supervisor's area", true, nil, "200",
			obj(map[string]any{"centers": arr(stats), "from": t(), "to": t()}), query("from", "RFC 3339", t()), query("to", "RFC 3339", t()))},
		"/api/v1/sms/inbound": map[string]any{"post": func() map[string]any {
			o := op("12110 SMS from the carrier gateway; HMAC-SHA256 of \"<ts>.<body>\" in X-Open110-Signature, unix seconds in X-Open110-Timestamp (±5 min). "+
				"201 new alarm, 200 joined the phone's open alarm or a retried message id; 409 replayed; 401 invalid_signature/stale_timestamp",
				false, obj(map[string]any{"id": s(), "from": s(), "to": s(), "text": s(), "at": t(), "cell": pos}, "id", "from", "text"),
				"201", obj(map[string]any{"alarm_id": s(), "created": b(), "duplicate": b()}),
				map[string]any{"name": "X-Open110-Timestamp", "in": "header", "required": true, "schema": s()},
				map[string]any{"name": "X-Open110-Signature", "in": "header", "required": true, "schema": s()})
			o["tags"] = []string{"sms"}
			return o
		}()},
	}
}
