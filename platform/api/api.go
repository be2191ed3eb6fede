// Package api holds the HTTP plumbing every feature's handlers share: JSON
// responses, the error format of DESIGN §5, strict request decoding, the
// client's IP, and per-key rate limits. Handlers read top to bottom:
// decode → authorise → validate → call the service → respond.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"open110/platform/apperr"
)

// MaxBody is the default limit for JSON request bodies. Media uploads use
// their own, larger limits.
const MaxBody = 1 << 20

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing useful to do
}

// ErrorBody is the wire form of every error: {"error": {"code","message",...}}.
type ErrorBody struct {
	Error map[string]any `json:"error"`
}

// Fail writes err in the error format. Internal errors are logged in full
// and shown only as "internal error".
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away mid-request: not a server fault, and nobody
		// reads the answer. 499 (nginx's "client closed request") keeps it
		// apart from real errors in the metrics.
		Logger(r.Context()).Debug("client gone", "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(499)
		return
	}
	e := apperr.From(err)
	status := e.Kind.Status()
	if e.Kind == apperr.Internal {
		Logger(r.Context()).Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	body := map[string]any{"code": e.Code, "message": e.Message}
	for k, v := range e.Details {
		if k != "code" && k != "message" {
			body[k] = v
		}
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if ra, ok := e.Details["retry_after_s"]; ok {
			w.Header().Set("Retry-After", fmt.Sprint(ra))
		}
	}
	JSON(w, status, ErrorBody{Error: body})
}

// Decode reads a JSON object from r's body into v, strictly: the body must be
// JSON (a Content-Type naming another format is refused), at most limit bytes (0 means MaxBody),
// contain exactly one value, and name no unknown fields.
func Decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if limit <= 0 {
		limit = MaxBody
	}
	// The body must be JSON whatever the header says: clients such as curl
	// label JSON as form data by default, and refusing them helps nobody.
	// Only bodies that declare another structured format are refused.
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "image/") ||
			strings.HasPrefix(mt, "video/") || strings.HasPrefix(mt, "audio/") || mt == "application/xml" || mt == "text/xml" {
			return apperr.ErrUnsupported.Msg("request body must be application/json")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return DecodeBytesReader(r.Body, v)
}

// DecodeBytesReader decodes one strict JSON value from rd. It is the shared
// core of Decode, also used by fuzz tests and WebSocket messages.
func DecodeBytesReader(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.ErrInvalidJSON.Msg("request body must hold a single JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return decodeError(err)
		}
		return apperr.ErrInvalidJSON.Msg("request body must hold a single JSON value")
	}
	return nil
}

// DecodeBytes is DecodeBytesReader for a byte slice.
func DecodeBytes(b []byte, v any) error {
	return DecodeBytesReader(strings.NewReader(string(b)), v)
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return apperr.ErrTooLarge.Msg("request body exceeds %d bytes", maxErr.Limit).Wrap(err)
	case errors.Is(err, io.EOF):
		return apperr.ErrInvalidJSON.Msg("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syntaxErr):
		return apperr.ErrInvalidJSON.Wrap(err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return apperr.Newf(apperr.Invalid, "invalid_type", "field %q must be %s", field, jsonType(typeErr.Type.Kind().String())).Wrap(err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return apperr.Newf(apperr.Invalid, "unknown_field", "unknown field %s", name)
	default:
		return apperr.ErrInvalidJSON.Wrap(err)
	}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	default:
		if strings.Contains(kind, "int") || strings.Contains(kind, "float") {
			return "a number"
		}
		return "of another type"
	}
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	clientIPKey
)

// WithLogger returns ctx carrying log.
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, log)
}

// Logger returns the request's logger, or slog.Default outside a request.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// ClientIP is the request's client IP as resolved by the server middleware
// (the peer address, or X-Forwarded-For from a trusted proxy).
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return peerIP(r)
}

// WithClientIP returns ctx carrying the resolved client IP.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

// Mux is what a feature's Register needs of a router: *http.ServeMux, or in
// a test a recorder of the patterns (to check that the OpenAPI document
// covers every route).
type Mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}
