package reward

// OpenAPI returns the OpenAPI 3.1 paths of the reward endpoints.
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
	unit := obj(map[string]any{"code": str, "name": str})
	media := obj(map[string]any{"sha256": str, "mime": str, "size": num})
	task := obj(map[string]any{"id": str, "center": unit, "title": str, "description": str, "amount_yuan": num, "area": str,
		"valid_from": str, "valid_until": str, "state": str, "active": boolean, "media": arr(media), "created_at": str,
		"created_by": str, "clues": num})
	clue := obj(map[string]any{"id": str, "task_id": str, "text": str, "contact": str, "anonymous": boolean, "state": str,
		"reward_yuan": num, "reward_note": str, "rewarded_at": str, "redeemed_at": str, "created_at": str})
	claim := obj(map[string]any{"clue": str, "task": str, "task_title": str, "center": unit, "state": str, "reward_yuan": num, "receipt": str, "redeemed_at": str})
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	op := func(summary string, auth bool, body any, status string, resp any, params ...any) map[string]any {
		o := map[string]any{"summary": summary, "tags": []string{"rewards"}, "responses": map[string]any{
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
	claimBody := obj(map[string]any{"clue": str, "code": str}, "clue", "code")
	addMedia := op("Add a picture to a task (raw JPEG, PNG or WebP body, sniffed; ≤ 10 MiB; publishing centre)", true, nil, "201", media, path("id"))
	addMedia["requestBody"] = map[string]any{"required": true, "content": map[string]any{"image/jpeg": map[string]any{}, "image/png": map[string]any{}, "image/webp": map[string]any{}}}
	pic := op("A task picture (public for active tasks)", false, nil, "200", str, path("id"), path("sha"))
	return map[string]any{
		"/api/v1/rewards": map[string]any{
			"get": op("Active reward tasks (public); officers with all=1 get every task of a centre they manage", false, nil, "200",
				obj(map[string]any{"tasks": arr(task)}), query("center", "centre code"), query("all", "1: officers, every state")),
			"post": op("Publish a reward task for the officer's centre (handler or supervisor)", true,
				obj(map[string]any{"title": str, "description": str, "amount_yuan": num, "area": str, "valid_from": str, "valid_until": str},
					"title", "description", "amount_yuan", "valid_until"), "201", task),
		},
		"/api/v1/rewards/{id}":             map[string]any{"get": op("One task (public while active)", false, nil, "200", task, path("id"))},
		"/api/v1/rewards/{id}/close":       map[string]any{"post": op("Close a task (publishing centre)", true, nil, "200", task, path("id"))},
		"/api/v1/rewards/{id}/media":       map[string]any{"post": addMedia},
		"/api/v1/rewards/{id}/media/{sha}": map[string]any{"get": pic},
		"/api/v1/rewards/{id}/clues": map[string]any{
			"post": op("Answer a task with a clue (citizen; anonymous keeps no link to the account). The claim code is shown once.", true,
				obj(map[string]any{"text": str, "contact": str, "anonymous": boolean}, "text"), "201",
				obj(map[string]any{"clue": str, "claim_code": str, "created_at": str}), path("id")),
			"get": op("A task's clues (publishing centre; audited)", true, nil, "200", obj(map[string]any{"clues": arr(clue)}), path("id")),
		},
		"/api/v1/rewards/clues/mine": map[string]any{"get": op("The citizen's non-anonymous clues", true, nil, "200", obj(map[string]any{"clues": arr(clue)}))},
		"/api/v1/rewards/{id}/clues/{cid}/reward": map[string]any{"post": op("Mark a clue as rewarded (publishing centre; amount defaults to the task's)", true,
			obj(map[string]any{"amount_yuan": num, "note": str}), "200", clue, path("id"), path("cid"))},
		"/api/v1/rewards/claims/check": map[string]any{"post": op("A clue's reward state by clue number and claim code (public; no identity). "+
			"claim_invalid, claim_locked after 5 wrong codes", false, claimBody, "200", claim)},
		"/api/v1/rewards/claims/redeem": map[string]any{"post": op("Redeem a rewarded clue with its code (public; no identity); returns a receipt number. "+
			"not_rewarded, already_redeemed, claim_invalid, claim_locked", false, claimBody, "200", claim)},
	}
}
