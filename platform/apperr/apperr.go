// Package apperr is open110's one application error type: a stable code that
// clients rely on, a safe human message, and a kind that decides the HTTP
// status. Internal details stay in the wrapped cause and are only logged.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for transport. One table (Status) maps kinds to
// HTTP statuses so handlers never pick statuses themselves.
type Kind int

const (
	Internal         Kind = iota // a bug or an outage: logged in full, shown as "internal"
	Invalid                      // the request is malformed or fails validation (400)
	Unauthorized                 // no or bad credentials (401)
	Forbidden                    // authenticated but not allowed (403)
	NotFound                     // no such object, or one the caller may not know exists (404)
	Conflict                     // the object's state forbids the change (409)
	TooLarge                     // body or upload over its limit (413)
	Unsupported                  // wrong media type (415)
	Unprocessable                // well-formed but semantically impossible (422)
	TooMany                      // rate limited (429)
	Unavailable                  // a dependency is down (503)
	MethodNotAllowed             // route exists, method does not (405)
)

// Status is the HTTP status for a kind.
func (k Kind) Status() int {
	switch k {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case TooLarge:
		return 413
	case Unsupported:
		return 415
	case Unprocessable:
		return 422
	case TooMany:
		return 429
	case Unavailable:
		return 503
	case MethodNotAllowed:
		return 405
	default:
		return 500
	}
}

// Error is an application error with a stable snake_case code.
type Error struct {
	Kind    Kind
	Code    string         // stable, snake_case; clients switch on it
	Message string         // safe to show to the caller
	Details map[string]any // optional extra fields merged into the JSON error object
	Err     error          // optional cause; never shown to the caller
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, apperr.E(kind, code, "")) match on code alone, so
// packages can declare sentinel errors and still attach messages and causes.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New returns an error of kind with code and message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Newf is New with a formatted message.
func Newf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e carrying extra JSON detail fields.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// Wrap returns a copy of e with cause attached (for logs; never shown).
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Msg returns a copy of e with another message (same code and kind).
func (e *Error) Msg(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// From extracts the application error from err. Errors that are not
// application errors become Internal with code "internal".
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal", Message: "internal error", Err: err}
}

// CodeOf returns err's code, or "internal" for foreign errors, or "" for nil.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// Common errors shared by every feature. Features declare their own with New.
var (
	ErrInvalidJSON      = New(Invalid, "invalid_json", "request body is not valid JSON")
	ErrInvalidInput     = New(Invalid, "invalid_input", "request is invalid")
	ErrUnauthorized     = New(Unauthorized, "unauthorized", "sign in required")
	ErrForbidden        = New(Forbidden, "forbidden", "not allowed")
	ErrNotFound         = New(NotFound, "not_found", "not found")
	ErrTooLarge         = New(TooLarge, "body_too_large", "request body too large")
	ErrRateLimited      = New(TooMany, "rate_limited", "too many requests; try again later")
	ErrUnsupported      = New(Unsupported, "unsupported_media_type", "unsupported media type")
	ErrUnavailable      = New(Unavailable, "unavailable", "service temporarily unavailable")
	ErrInternal         = New(Internal, "internal", "internal error")
	ErrMethodNotAllowed = New(MethodNotAllowed, "method_not_allowed", "method not allowed")
)

// Invalidf is a shorthand for an Invalid error with a field-specific code.
func Invalidf(code, format string, args ...any) *Error {
	return Newf(Invalid, code, format, args...)
}
