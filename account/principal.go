package account

import (
	"context"
	"net/http"
	"slices"

	"open110/platform/apperr"
)

// Kind is who signed in: a citizen (phone + SMS code) or an officer
// (username + password [+ TOTP]).
type Kind string

const (
	Citizen Kind = "citizen"
	Officer Kind = "officer"
)

// Role is an officer's role. Citizens have no role.
type Role string

const (
	Dispatcher Role = "dispatcher" // 接警员: answers their centre's alarms
	Handler    Role = "handler"    // 处理民警: handles assigned tips and notices
	Supervisor Role = "supervisor" // watches a centre (and, at the province, all)
	Admin      Role = "admin"      // manages centres, officers, settings
)

// Roles lists every role in a stable order.
var Roles = []Role{Dispatcher, Handler, Supervisor, Admin}

// ProvinceCenter is the code of the province-level centre (admins belong to it).
const ProvinceCenter = "130000"

// Principal is the authenticated caller of a request. Handlers get it with
// FromContext or Require; the zero value means "signed out".
type Principal struct {
	Kind      Kind   `json:"kind"`
	ID        string `json:"id"`                 // citizen or officer ID
	Phone     string `json:"phone,omitempty"`    // citizens: E.164
	Username  string `json:"username,omitempty"` // officers
	Name      string `json:"name,omitempty"`     // officers: display name
	Role      Role   `json:"role,omitempty"`     // officers
	Center    string `json:"center,omitempty"`   // officers: command centre code
	SessionID string `json:"-"`                  // hash prefix of the session, for audit correlation
	SignInIP  string `json:"-"`                  // the IP the session signed in from
}

// Actor is the principal's name in the audit log: "citizen:<id>" or
// "officer:<username>".
func (p Principal) Actor() string {
	switch p.Kind {
	case Citizen:
		return "citizen:" + p.ID
	case Officer:
		return "officer:" + p.Username
	}
	return "anonymous"
}

// SignedIn reports whether the principal is authenticated.
func (p Principal) SignedIn() bool { return p.Kind != "" }

// IsOfficer reports whether the principal is an officer with one of roles
// (any role when none are given).
func (p Principal) IsOfficer(roles ...Role) bool {
	if p.Kind != Officer {
		return false
	}
	return len(roles) == 0 || slices.Contains(roles, p.Role)
}

// IsCitizen reports whether the principal is a citizen.
func (p Principal) IsCitizen() bool { return p.Kind == Citizen }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the request's principal (zero when signed out).
func FromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(ctxKey{}).(Principal)
	return p
}

// Require returns the request's principal, or apperr unauthorized (401)
// when signed out.
func Require(r *http.Request) (Principal, error) {
	p := FromContext(r.Context())
	if !p.SignedIn() {
		return p, apperr.ErrUnauthorized
	}
	return p, nil
}

// RequireCitizen is Require for citizen-only endpoints: officers get 403.
func RequireCitizen(r *http.Request) (Principal, error) {
	p, err := Require(r)
	if err != nil {
		return p, err
	}
	if !p.IsCitizen() {
		return p, apperr.ErrForbidden.Msg("this endpoint is for citizens")
	}
	return p, nil
}

// RequireOfficer is Require for officer endpoints: citizens and officers
// without one of roles get 403 (any officer when roles is empty).
func RequireOfficer(r *http.Request, roles ...Role) (Principal, error) {
	p, err := Require(r)
	if err != nil {
		return p, err
	}
	if !p.IsOfficer(roles...) {
		return p, apperr.ErrForbidden.Msg("your role may not do this")
	}
	return p, nil
}
