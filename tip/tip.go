// Package tip is 线索举报: citizens' tips to the police, with evidence shot
// in the app and bound to a server-issued capture token (time, place and
// SHA-256 attested and chained into the audit log), and a tipster identity
// sealed so that only the assigned handling officer can reveal it, with a
// reason, on the record.
//
// The tipster is never linked to a tip in the clear: tips, media and
// tokens carry an owner reference, an HMAC of the citizen ID under the
// server secret, so a copy of the database does not say who reported what;
// audit entries about tips name the tip, never the citizen.
package tip

import (
	"embed"
	"io/fs"
	"time"

	"open110/platform/apperr"
	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the tip schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "tip", FS: sub}
}

// Category is a tip's stable category code.
type Category string

// Categories in the order of the Hebei app (DESIGN §2), plus other.
var Categories = []struct {
	Code Category `json:"code"`
	ZH   string   `json:"zh"`
	EN   string   `json:"en"`
}{
	{"organized_crime", "涉黑涉恶", "Organised crime"},
	{"guns", "涉枪", "Guns"},
	{"explosives", "涉爆", "Explosives"},
	{"vice_gambling", "涉黄涉赌", "Vice and gambling"},
	{"pollution", "环境污染", "Environmental pollution"},
	{"drugs", "吸毒/制贩毒", "Drugs"},
	{"intellectual_property", "知识产权", "Intellectual property"},
	{"illegal_foreigners", "三非", "Illegal entry, stay or work of foreigners"},
	{"other", "其他", "Other"},
}

// ValidCategory reports whether c is a known category code.
func ValidCategory(c Category) bool {
	for _, k := range Categories {
		if k.Code == c {
			return true
		}
	}
	return false
}

// State is where a tip is in its handling.
type State string

const (
	Submitted State = "submitted" // waiting for a supervisor to assign a handler
	Assigned  State = "assigned"  // a handler is assigned, not started yet
	Handling  State = "handling"  // the handler works on it
	Closed    State = "closed"    // finished with a result the tipster sees
)

// Result is how a closed tip ended.
type Result string

// Results, with the words the tipster sees.
var Results = []struct {
	Code Result `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}{
	{"verified", "查实", "Verified"},
	{"partly_verified", "部分查实", "Partly verified"},
	{"not_verified", "未查实", "Not verified"},
	{"transferred", "移交", "Transferred to another authority"},
}

// ValidResult reports whether r is a known result code.
func ValidResult(r Result) bool {
	for _, k := range Results {
		if k.Code == r {
			return true
		}
	}
	return false
}

// Position is a WGS-84 position.
type Position struct {
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	AccuracyM float64 `json:"accuracy_m"`
}

// Tip is a tip as officers and its tipster see it. It never holds the
// identity; Identity says only whether one is sealed.
type Tip struct {
	ID          string     `json:"id"`
	Category    Category   `json:"category"`
	Description string     `json:"description"`
	Position    Position   `json:"position"`
	Center      Unit       `json:"center"`
	RoutedTo    string     `json:"routed_center"` // the centre routing chose; Center differs when the tipster picked another
	Identity    string     `json:"identity"`      // "sealed" or "anonymous"
	State       State      `json:"state"`
	Result      Result     `json:"result,omitempty"`
	ResultNote  string     `json:"result_note,omitempty"`
	Handler     string     `json:"handler,omitempty"` // officers only: the assigned handler's username
	Flags       []string   `json:"flags"`             // abuse signals for officers: rate, duplicate
	Media       []Media    `json:"media"`
	CreatedAt   time.Time  `json:"created_at"`
	AssignedAt  *time.Time `json:"assigned_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`

	ownerRef  string
	sealed    Sealed
	handlerID string
	descHash  string
	updatedAt time.Time
}

// Unit is a centre as tips name it.
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Media is one attested capture attached to (or waiting for) a tip.
type Media struct {
	ID         string    `json:"id"`
	Kind       MediaKind `json:"kind"`
	MIME       string    `json:"mime"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	CapturedAt time.Time `json:"captured_at"`
	Position   Position  `json:"position"`
	UploadedAt time.Time `json:"uploaded_at"`
	// AttestationHash is the SHA-256 of the attestation record; the audit
	// entry of the upload carries it (AuditSeq), chaining the capture into
	// the tamper-evident log.
	AttestationHash string `json:"attestation_hash"`
	AuditSeq        int64  `json:"audit_seq"`

	attestation string
	ownerRef    string
	tipID       string
}

// Message is one line of the dialogue between the handler and the
// tipster. It never names either side beyond "police" and "tipster".
type Message struct {
	ID   int64     `json:"id"`
	From string    `json:"from"` // "tipster" | "police"
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// View is one officer's look at a tip as the tipster sees it: what was
// looked at and when, not by whom.
type View struct {
	At   time.Time `json:"at"`
	What string    `json:"what"` // opened | media | identity | exported
}

// Identity is a tipster's identity, returned only by Reveal.
type Identity struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Errors with stable codes.
var (
	ErrUnknownCategory    = apperr.New(apperr.Invalid, "unknown_category", "unknown tip category")
	ErrDescription        = apperr.New(apperr.Invalid, "invalid_description", "description: 1–4000 characters")
	ErrInvalidPosition    = apperr.New(apperr.Invalid, "invalid_position", "position must be WGS-84 lat/lng with a sane accuracy")
	ErrUnknownCenter      = apperr.New(apperr.Invalid, "unknown_center", "no such 110 centre")
	ErrTooManyMedia       = apperr.New(apperr.Invalid, "too_many_media", "too many attachments")
	ErrNameTooLong        = apperr.New(apperr.Invalid, "invalid_name", "name: at most 64 characters")
	ErrTipNotFound        = apperr.New(apperr.NotFound, "tip_not_found", "no such tip")
	ErrMediaNotFound      = apperr.New(apperr.NotFound, "media_not_found", "no such capture")
	ErrMediaUnavailable   = apperr.New(apperr.Unprocessable, "media_unavailable", "that capture is not yours or is already attached to a tip")
	ErrMediaFar           = apperr.New(apperr.Unprocessable, "media_far_from_tip", "a capture was taken far from the tip's position")
	ErrTokenMissing       = apperr.New(apperr.Invalid, "capture_token_required", "media must be captured in the app with a capture token")
	ErrTokenInvalid       = apperr.New(apperr.Forbidden, "capture_token_invalid", "unknown capture token, or not yours")
	ErrTokenExpired       = apperr.New(apperr.Forbidden, "capture_token_expired", "the capture token has expired; capture again")
	ErrTokenUsed          = apperr.New(apperr.Conflict, "capture_token_used", "the capture token was already used; each capture needs a new one")
	ErrCaptureTime        = apperr.New(apperr.Unprocessable, "capture_time_outside_window", "the capture time is outside the capture token's window")
	ErrCapturePosition    = apperr.New(apperr.Unprocessable, "capture_position_implausible", "the capture position is not plausible")
	ErrHashRequired       = apperr.New(apperr.Invalid, "hash_required", "X-Content-SHA256 (the client's SHA-256 of the media) is required")
	ErrHashMismatch       = apperr.New(apperr.Unprocessable, "hash_mismatch", "the media does not match the SHA-256 the client computed")
	ErrMediaType          = apperr.New(apperr.Unsupported, "unsupported_media", "not a photo, video or audio format we accept")
	ErrMediaTypeMismatch  = apperr.New(apperr.Unsupported, "media_type_mismatch", "the declared Content-Type does not match the media's content")
	ErrMediaTooLarge      = apperr.New(apperr.TooLarge, "media_too_large", "the media exceeds its size limit")
	ErrMediaEmpty         = apperr.New(apperr.Invalid, "media_empty", "the media is empty")
	ErrNotAssignable      = apperr.New(apperr.Invalid, "invalid_handler", "the handler must be a handling officer of the tip's centre")
	ErrState              = apperr.New(apperr.Conflict, "invalid_state", "the tip's state does not allow this")
	ErrUnknownResult      = apperr.New(apperr.Invalid, "unknown_result", "unknown result")
	ErrReasonRequired     = apperr.New(apperr.Invalid, "reason_required", "a reason (5–500 characters) is required")
	ErrNotAssignedHandler = apperr.New(apperr.Forbidden, "not_assigned_handler", "only the assigned handling officer may do this")
	ErrAnonymous          = apperr.New(apperr.NotFound, "tip_anonymous", "the tipster chose to stay anonymous: no identity is stored")
	ErrMessage            = apperr.New(apperr.Invalid, "invalid_message", "message: 1–2000 characters")
)
