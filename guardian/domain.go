// Package guardian is 亲友互助: a citizen names trusted guardians, and while
// a risky trip runs (a taxi at night, a run, meeting a stranger) the
// guardians follow its track, photos, video and voice live and can raise
// the alarm for them. Police never watch a trip: only an alarm raised from
// or about a trip opens its pre-incident track and media to the centre
// handling that alarm, and every such read is audited.
//
// Layout: domain.go (types, errors, config), policy.go (who may see what —
// plain Go), links.go (guardian links and the duress PIN), trips.go (trip
// lifecycle), points.go (track ingest with group commit), media.go (trip
// media), alarms.go (alarms from trips, police access), timers.go
// (overdue, silent phone, retention), feed.go (the live WebSocket),
// http.go (routes), openapi.go.
//
// The database is the source of truth. Each trip has a change counter, rev:
// every change bumps it in its transaction and stamps the rows it creates,
// so a live view resumes with "rev > cursor" and bus messages
// ("guardian.trip.<id>") are only wake-ups.
package guardian

import (
	"context"
	"math"
	"time"

	"open110/account"
	"open110/platform/apperr"
)

// Mode is what kind of trip it is.
type Mode string

const (
	Taxi     Mode = "taxi"      // 夜间打车 / 网约车
	NightRun Mode = "night_run" // 夜跑
	Meeting  Mode = "meeting"   // 会见陌生人
	Other    Mode = "other"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool {
	switch m {
	case Taxi, NightRun, Meeting, Other:
		return true
	}
	return false
}

// Link states.
const (
	LinkPending  = "pending"
	LinkAccepted = "accepted"
	LinkDeclined = "declined"
	LinkRevoked  = "revoked"
)

// Trip states and how a trip ended.
const (
	TripActive = "active"
	TripEnded  = "ended"

	EndArrived = "arrived" // 到达报平安
	EndExpired = "expired" // ran longer than MaxTrip and was closed by the platform
	endDuress  = "duress"  // stored only; every view shows "arrived"
)

// Who raised an alarm from a trip.
const (
	RaisedByTraveller = "traveller" // SOS on the trip screen
	RaisedByGuardian  = "guardian"  // "raise an alarm for them"
	RaisedByDuress    = "duress"    // the duress PIN ended the trip
)

// Position is a WGS-84 fix.
type Position struct {
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	AccuracyM float64 `json:"accuracy_m"`
}

func (p Position) valid() bool {
	for _, v := range []float64{p.Lat, p.Lng, p.AccuracyM} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180 && !(p.Lat == 0 && p.Lng == 0) &&
		p.AccuracyM >= 0 && p.AccuracyM <= 100000
}

// Point is one track point. Seq is the client's sequence number: unique per
// trip, it makes uploads idempotent.
type Point struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	Position
}

// Link is a guardian link as one side sees it.
type Link struct {
	ID        string    `json:"id"`
	State     string    `json:"state"`
	Default   bool      `json:"default"`
	Label     string    `json:"label,omitempty"` // the owner's name for the guardian ("妈妈")
	OwnerID   string    `json:"owner_id"`
	Owner     string    `json:"owner_phone"`
	Guardian  string    `json:"guardian_phone"`
	GuardianI string    `json:"guardian_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Links is everything about a citizen's links.
type Links struct {
	Guardians []Link `json:"guardians"` // people who guard me (any state but declined/revoked)
	Guarding  []Link `json:"guarding"`  // people I guard (accepted)
	Invites   []Link `json:"invites"`   // invitations waiting for my answer
}

// GuardianRef names a guardian of a trip.
type GuardianRef struct {
	ID    string `json:"id"`
	Phone string `json:"phone"`
	Label string `json:"label,omitempty"`
}

// AlarmLink is an alarm raised from a trip.
type AlarmLink struct {
	AlarmID  string    `json:"alarm_id"`
	RaisedBy string    `json:"raised_by"` // traveller, guardian, duress
	RaiserID string    `json:"raiser_id,omitempty"`
	At       time.Time `json:"at"`
	Center   string    `json:"center,omitempty"`
}

// Trip is a trip as its viewer sees it.
type Trip struct {
	ID             string        `json:"id"`
	Mode           Mode          `json:"mode"`
	Note           string        `json:"note,omitempty"`
	Destination    string        `json:"destination,omitempty"`
	ExpectedAt     *time.Time    `json:"expected_at,omitempty"`
	State          string        `json:"state"`
	EndKind        string        `json:"end_kind,omitempty"`
	StartedAt      time.Time     `json:"started_at"`
	EndedAt        *time.Time    `json:"ended_at,omitempty"`
	TravellerID    string        `json:"traveller_id"`
	TravellerPhone string        `json:"traveller_phone"`
	Guardians      []GuardianRef `json:"guardians"`
	Last           *Point        `json:"last,omitempty"`
	LastSeenAt     time.Time     `json:"last_seen_at"`
	Overdue        bool          `json:"overdue"`
	Silent         bool          `json:"silent"`
	Alarms         []AlarmLink   `json:"alarms"`
	Role           string        `json:"role"` // the viewer: traveller, guardian or police
	Cursor         int64         `json:"cursor"`
}

// Media is one photo, video or voice clip of a trip.
type Media struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // photo, video, audio
	MIME       string    `json:"mime"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	CapturedAt time.Time `json:"captured_at"`
	Location   *Position `json:"location,omitempty"`
	UploadedAt time.Time `json:"uploaded_at"`
	Rev        int64     `json:"rev"`
}

// Event is something that happened on a trip.
type Event struct {
	Rev   int64          `json:"rev"`
	Type  string         `json:"type"` // started, overdue_prompt, overdue, silent, back, alarm, ended, guardian_revoked...
	At    time.Time      `json:"at"`
	Actor string         `json:"actor,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
}

// IngestResult is the outcome of one batch of points. Every seq of the batch
// that is not in Rejected is durably stored when it returns.
type IngestResult struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   []RejectedSeq `json:"rejected"`
	Cursor     int64         `json:"cursor"`
}

// RejectedSeq is a point refused for good (the client drops it).
type RejectedSeq struct {
	Seq  int64  `json:"seq"`
	Code string `json:"code"` // point_in_future, point_before_trip, after_trip_end
}

// Errors with stable codes.
var (
	ErrTripNotFound     = apperr.New(apperr.NotFound, "trip_not_found", "no such trip")
	ErrLinkNotFound     = apperr.New(apperr.NotFound, "guardian_link_not_found", "no such guardian link")
	ErrNotRegistered    = apperr.New(apperr.NotFound, "not_registered", "no registered user has this phone number")
	ErrSelfInvite       = apperr.New(apperr.Invalid, "self_invite", "you cannot be your own guardian")
	ErrAlreadyLinked    = apperr.New(apperr.Conflict, "already_linked", "this person is already your guardian or invited")
	ErrTooManyLinks     = apperr.New(apperr.Conflict, "too_many_guardians", "too many guardians")
	ErrTooManyDefaults  = apperr.New(apperr.Conflict, "too_many_defaults", "at most 5 default guardians")
	ErrLinkState        = apperr.New(apperr.Conflict, "invalid_link_state", "the link's state does not allow this")
	ErrInvalidMode      = apperr.New(apperr.Invalid, "invalid_mode", "mode must be one of taxi, night_run, meeting, other")
	ErrInvalidNote      = apperr.New(apperr.Invalid, "invalid_note", "note and destination are at most 200 characters")
	ErrInvalidExpected  = apperr.New(apperr.Invalid, "invalid_expected_at", "expected_at must be in the future and within the maximum trip length")
	ErrNoGuardians      = apperr.New(apperr.Unprocessable, "no_guardians", "choose at least one accepted guardian (or set defaults)")
	ErrInvalidGuardians = apperr.New(apperr.Invalid, "invalid_guardians", "guardians must be your accepted guardian links")
	ErrTripActive       = apperr.New(apperr.Conflict, "trip_active", "you already have a trip in progress")
	ErrTripEnded        = apperr.New(apperr.Conflict, "trip_ended", "the trip has ended")
	ErrInvalidPoints    = apperr.New(apperr.Invalid, "invalid_points", "points are invalid")
	ErrTooManyPoints    = apperr.New(apperr.TooLarge, "too_many_points", "too many points in one batch")
	ErrInvalidPIN       = apperr.New(apperr.Invalid, "invalid_pin", "the PIN must be 4 to 8 digits")
	ErrInvalidMedia     = apperr.New(apperr.Unsupported, "invalid_media", "not a photo, video or voice clip format we accept")
	ErrInvalidKind      = apperr.New(apperr.Invalid, "invalid_media_kind", "kind must be photo, video or audio")
	ErrMediaNotFound    = apperr.New(apperr.NotFound, "media_not_found", "no such media")
	ErrMediaTooLarge    = apperr.New(apperr.TooLarge, "media_too_large", "the file is too large")
	ErrInvalidClientID  = apperr.New(apperr.Invalid, "invalid_client_id", "client_id must be 1-64 characters of [A-Za-z0-9_-]")
	ErrInvalidAlarmKind = apperr.New(apperr.Invalid, "invalid_kind", "kind must be one of video, silent, voice, text")
	ErrCitizensOnly     = apperr.New(apperr.Forbidden, "forbidden", "this is for citizens")
)

// Limits.
const (
	MaxLinks        = 20  // guardian links a traveller may hold (any state but declined/revoked)
	MaxDefaults     = 5   // default guardians
	MaxTripGuardian = 10  // guardians one trip may name
	MaxBatch        = 500 // points in one upload
	maxText         = 200 // runes of note / destination / label
)

// Config tunes the feature. Zero values take the defaults noted.
type Config struct {
	Retention      time.Duration // trip data kept after the trip ends unless linked to an alarm; default 7 days
	SilentAfter    time.Duration // no upload for this long during a trip → guardians notified; default 10 min
	PromptGrace    time.Duration // after the overdue prompt, this long without an answer → guardians notified; default 15 min
	MaxTrip        time.Duration // a trip still running after this is ended by the platform; default 24 h
	FutureSkew     time.Duration // points stamped later than now+FutureSkew are refused; default 2 min
	TickEvery      time.Duration // how often the timers run; default 10 s
	DuressDisclose time.Duration // police reads under a duress alarm stay out of the traveller's own access view this long; default 30 days
	SQLiteWriters  int           // ingest workers on SQLite (one writer anyway); default 1
	PGWriters      int           // ingest workers on PostgreSQL; default 4
	ExternalPurge  bool          // the node's retention job purges trips (PurgeTrips, audited); the timers do not
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Retention, 7*24*time.Hour)
	def(&c.SilentAfter, 10*time.Minute)
	def(&c.PromptGrace, 15*time.Minute)
	def(&c.MaxTrip, 24*time.Hour)
	def(&c.FutureSkew, 2*time.Minute)
	def(&c.TickEvery, 10*time.Second)
	def(&c.DuressDisclose, 30*24*time.Hour)
	if c.SQLiteWriters <= 0 {
		c.SQLiteWriters = 1
	}
	if c.PGWriters <= 0 {
		c.PGWriters = 4
	}
}

// Citizens finds registered citizens (the account feature, adapted by the
// wiring).
type Citizens interface {
	// CitizenByPhone returns the ID of the registered, not deleted citizen
	// with this E.164 phone. Errors: ErrNotRegistered.
	CitizenByPhone(ctx context.Context, phone string) (string, error)
}

// AlarmRequest asks the alarm feature for an alarm linked to a trip.
type AlarmRequest struct {
	Kind           string // video, silent, voice, text
	Location       *Position
	TravellerID    string // the person in danger; "" hides the alarm from their app (duress)
	TravellerPhone string // for call-back
	RaisedByID     string // the guardian who raised it ("" for the traveller or the platform)
	IdempotencyKey string
	Links          map[string]string // trip_id, raised_by, guardian_id
	Note           string            // posted into the alarm's chat as a system note
}

// AlarmRef is the alarm the request created (or found again by its key).
type AlarmRef struct {
	ID     string
	Center string
	At     time.Time
}

// AlarmAccess is what an officer is to an alarm, as the alarm feature says.
type AlarmAccess struct {
	Role   string // "dispatcher" (an active centre of the alarm), "observer", "caller"
	State  string // queued, answered, abandoned, closed, cancelled
	Center string
}

// Alarms is the alarm feature as guardian sees it. Alarms never import
// guardian; the wiring adapts the alarm service to this.
type Alarms interface {
	// RaiseLinked raises an alarm routed by req.Location (none: the
	// province centre) and linked to a trip. It is durable when it returns.
	RaiseLinked(ctx context.Context, req AlarmRequest) (AlarmRef, error)
	// Access says what p is to the alarm. Errors: any error means no access
	// (an alarm p may not see does not exist for them).
	Access(ctx context.Context, p account.Principal, alarmID string) (AlarmAccess, error)
}
