package profile

// OpenAPI returns the profile endpoints' OpenAPI 3.1 paths.
func OpenAPI() map[string]any {
	sec := []any{map[string]any{"bearer": []any{}}}
	op := func(summary, status string) map[string]any {
		return map[string]any{"summary": summary, "security": sec, "responses": map[string]any{
			status:    map[string]any{"description": "success"},
			"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		}}
	}
	put := op("Citizen: save my emergency profile (all fields optional; stored encrypted)", "200")
	put["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	forAlarm := op("Dispatcher: the caller's profile while you answer their alarm (each display audited); text_first for deaf or speech-impaired callers", "200")
	forAlarm["parameters"] = []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}}
	return map[string]any{
		"/api/v1/profile": map[string]any{
			"get":    op("Citizen: my emergency profile", "200"),
			"put":    put,
			"delete": op("Citizen: delete my emergency profile (204)", "204"),
		},
		"/api/v1/profile/alarms/{id}": map[string]any{"get": forAlarm},
	}
}
