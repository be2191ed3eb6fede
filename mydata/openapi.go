package mydata

// OpenAPI returns the my-data endpoints' OpenAPI 3.1 paths.
func OpenAPI() map[string]any {
	sec := []any{map[string]any{"bearer": []any{}}}
	op := func(summary string) map[string]any {
		return map[string]any{"summary": summary, "security": sec, "responses": map[string]any{
			"200":     map[string]any{"description": "success"},
			"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		}}
	}
	del := op(`Citizen: delete my account and data, except what an open case or legal retention holds (listed with reasons); body {"confirm":"DELETE"}`)
	del["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{"confirm": map[string]any{"type": "string", "const": "DELETE"}}}}}}
	return map[string]any{
		"/api/v1/mydata":          map[string]any{"get": op("Citizen: everything the platform holds about me, with states")},
		"/api/v1/mydata/access":   map[string]any{"get": op("Citizen: who accessed my data and when (identity reveals counted, not named)")},
		"/api/v1/mydata/export":   map[string]any{"get": op("Citizen: everything as one JSON file (attachment)")},
		"/api/v1/mydata/deletion": map[string]any{"get": op("Citizen: what a deletion would keep, and why"), "post": del},
	}
}
