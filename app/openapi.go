package app

import (
	"maps"
	"net/http"

	"open110/platform/api"
)

// handleOpenAPI serves the OpenAPI 3.1 document: the shared parts here, and
// each feature's paths from its own OpenAPI function.
func (a *App) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	paths := map[string]any{}
	for _, fn := range a.openapi {
		for p, item := range fn() {
			if existing, ok := paths[p].(map[string]any); ok {
				merged := maps.Clone(existing)
				maps.Copy(merged, item.(map[string]any))
				paths[p] = merged
				continue
			}
			paths[p] = item
		}
	}
	api.JSON(w, http.StatusOK, map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "open110 API",
			"version":     Version,
			"description": "Internet 110: alarms, routing, guardians, missing persons, tips and rewards. Times are UTC RFC 3339; positions WGS-84. Errors: {\"error\":{\"code\",\"message\"}}.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{
				"Error": obj(map[string]any{"error": obj(map[string]any{"code": str(), "message": str()}, "code", "message")}, "error"),
				"Position": obj(map[string]any{
					"lat": num(), "lng": num(), "accuracy_m": num(),
				}, "lat", "lng"),
			},
		},
		"paths": paths,
	})
}

// Version is the build's version, set with -ldflags "-X open110/app.Version=…".
var Version = "0.1.0-dev"

// OpenAPI building helpers shared by the app's own paths. Features write
// plain maps the same way.
func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func str() map[string]any { return map[string]any{"type": "string"} }
func num() map[string]any { return map[string]any{"type": "number"} }

func op(summary string, auth bool, body map[string]any, status string, resp map[string]any) map[string]any {
	o := map[string]any{"summary": summary, "responses": map[string]any{
		status:    map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": resp}}},
		"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
	}}
	if auth {
		o["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	if body != nil {
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}}
	}
	return o
}

func platformOpenAPI() map[string]any {
	return map[string]any{
		"/healthz":             map[string]any{"get": op("Liveness", false, nil, "200", obj(map[string]any{"status": str()}))},
		"/readyz":              map[string]any{"get": op("Readiness: database, bus and evidence store reachable", false, nil, "200", obj(map[string]any{"ready": map[string]any{"type": "boolean"}}))},
		"/metrics":             map[string]any{"get": map[string]any{"summary": "Prometheus metrics", "responses": map[string]any{"200": map[string]any{"description": "text exposition format"}}}},
		"/api/v1/openapi.json": map[string]any{"get": op("This document", false, nil, "200", map[string]any{"type": "object"})},
	}
}

func accountOpenAPI() map[string]any {
	session := obj(map[string]any{"token": str(), "expires_at": str(), "user": map[string]any{"type": "object"}}, "token")
	return map[string]any{
		"/api/v1/auth/otp":          map[string]any{"post": op("Send a 6-digit sign-in code by SMS (202)", false, obj(map[string]any{"phone": str()}, "phone"), "202", obj(map[string]any{"expires_in_s": num(), "resend_after_s": num()}))},
		"/api/v1/auth/otp/verify":   map[string]any{"post": op("Sign a citizen in with the SMS code", false, obj(map[string]any{"phone": str(), "code": str()}, "phone", "code"), "200", session)},
		"/api/v1/auth/login":        map[string]any{"post": op("Sign an officer in (TOTP when enrolled)", false, obj(map[string]any{"username": str(), "password": str(), "totp": str()}, "username", "password"), "200", session)},
		"/api/v1/auth/logout":       map[string]any{"post": op("Revoke the current session (204)", true, nil, "204", map[string]any{})},
		"/api/v1/me":                map[string]any{"get": op("The signed-in principal", true, nil, "200", map[string]any{"type": "object"})},
		"/api/v1/auth/totp/enroll":  map[string]any{"post": op("Officer: start TOTP enrolment", true, nil, "200", obj(map[string]any{"secret": str(), "otpauth_url": str()}))},
		"/api/v1/auth/totp/confirm": map[string]any{"post": op("Officer: confirm TOTP with a current code (204)", true, obj(map[string]any{"code": str()}, "code"), "204", map[string]any{})},
		"/api/v1/centers":           map[string]any{"get": op("Command centres of the unit tree", false, nil, "200", obj(map[string]any{"centers": map[string]any{"type": "array"}}))},
	}
}
