// Package missing is the missing-person feature (寻人启事): a family
// submits a notice for a case the police have already accepted; the command
// centre covering the accepting unit verifies it and publishes it to the
// province; the public reads the feed (signed out too) and sends sightings
// that reach the handling centre live; users who opted in with a coarse
// home area get an in-app alert when a notice is published near them, in a
// ring that widens with time since the person went missing (the 团圆
// pattern), and the closure notice (found, withdrawn, hoax) reaches everyone
// who was alerted.
//
// Workflow: submitted → verifying → published → closed, or submitted|verifying
// → rejected (reason shown to the initiator); the initiator may withdraw
// before publication (closed, withdrawn, never public). Nothing is public
// before publication; every state change writes an audit entry in the same
// transaction.
//
// Domain rules (radius schedule, validation, visibility) are plain Go in
// this file, validate.go and alerts.go; SQL lives in store.go; HTTP in
// http.go and live.go.
package missing

import (
	"math"
	"time"

	"open110/platform/apperr"
)

// State is a notice's place in the workflow.
type State string

const (
	Submitted State = "submitted" // sent by the initiator, waiting for the centre
	Verifying State = "verifying" // an officer is checking with the accepting unit
	Published State = "published" // public, alerting, taking sightings
	Rejected  State = "rejected"  // not published; the reason is shown to the initiator
	Closed    State = "closed"    // found, withdrawn or hoax; a closure notice replaces a published notice
)

// Outcome is why a notice was closed.
type Outcome string

const (
	Found     Outcome = "found"
	Withdrawn Outcome = "withdrawn"
	Hoax      Outcome = "hoax"
)

// SightingStatus is an officer's triage of a sighting.
type SightingStatus string

const (
	SightingNew        SightingStatus = "new"
	SightingRelevant   SightingStatus = "relevant"    // worth following
	SightingFollowedUp SightingStatus = "followed_up" // checked on the ground
	SightingIrrelevant SightingStatus = "not_relevant"
	SightingDuplicate  SightingStatus = "duplicate"
)

var sightingStatuses = map[SightingStatus]bool{SightingRelevant: true, SightingFollowedUp: true, SightingIrrelevant: true, SightingDuplicate: true, SightingNew: true}

// Event kinds in missing_events.
const (
	evSubmitted = "submitted" // console + initiator
	evState     = "state"     // console + initiator; detail {"state","outcome"?}
	evMedia     = "media"     // console
	evSighting  = "sighting"  // console only (the initiator sees counts, not sightings)
	evTriage    = "triage"    // console; the initiator sees counts
	evProgress  = "progress"  // console + initiator; detail {"text"}
	evAlert     = "alert"     // inbox of citizens with prev_radius < d ≤ radius
	evClosure   = "closure"   // inbox of citizens with d ≤ radius (everyone alerted)
)

// Radius schedule (团圆): the ring of users alerted grows with the time since
// the person was last seen.
var ringSteps = []struct {
	below time.Duration
	km    int
}{{time.Hour, 100}, {2 * time.Hour, 200}, {3 * time.Hour, 300}}

// MaxRadiusKm is the ring beyond 3 hours.
const MaxRadiusKm = 500

// RadiusKm is the alert radius for a person missing for elapsed: 100 km
// under 1 h, 200 km under 2 h, 300 km under 3 h, 500 km beyond. next is
// how long after the last sighting the ring widens again (0: never).
func RadiusKm(elapsed time.Duration) (km int, next time.Duration) {
	for _, s := range ringSteps {
		if elapsed < s.below {
			return s.km, s.below
		}
	}
	return MaxRadiusKm, 0
}

// DistanceKm is the great-circle distance between two WGS-84 points.
func DistanceKm(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371.0088
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// transition says whether a notice may go from one state to another.
func transition(from, to State) bool {
	switch to {
	case Verifying:
		return from == Submitted
	case Published:
		return from == Verifying
	case Rejected:
		return from == Submitted || from == Verifying
	case Closed:
		return from == Published || from == Submitted || from == Verifying
	}
	return false
}

// Errors. Codes are stable; clients switch on them.
var (
	ErrNotFound         = apperr.New(apperr.NotFound, "notice_not_found", "no such missing-person notice")
	ErrSightingNotFound = apperr.New(apperr.NotFound, "sighting_not_found", "no such sighting")
	ErrMediaNotFound    = apperr.New(apperr.NotFound, "media_not_found", "no such media")
	ErrBadState         = apperr.New(apperr.Conflict, "invalid_state", "the notice's state does not allow this")
	ErrDuplicateCase    = apperr.New(apperr.Conflict, "duplicate_case", "an open notice already exists for this case acceptance number")
	ErrChecksIncomplete = apperr.New(apperr.Unprocessable, "checks_incomplete", "confirm the accepting unit and the case number before publishing")
	ErrMediaType        = apperr.New(apperr.Unsupported, "unsupported_media", "photos must be JPEG, PNG, WebP or GIF; videos MP4, MOV or WebM")
	ErrMediaTooLarge    = apperr.New(apperr.TooLarge, "media_too_large", "the file is too large")
	ErrMediaEmpty       = apperr.New(apperr.Invalid, "media_empty", "the file is empty")
	ErrTooManyMedia     = apperr.New(apperr.Conflict, "too_many_media", "a notice holds at most 12 photos and videos")
	ErrNotOptedIn       = apperr.New(apperr.NotFound, "not_opted_in", "area alerts are off")
	ErrInvalidCursor    = apperr.New(apperr.Invalid, "invalid_cursor", "cursor is invalid")
)

// Media limits. Sizes are checked while streaming: an oversized upload
// stores nothing.
const (
	MaxPhotoBytes = 10 << 20
	MaxVideoBytes = 100 << 20
	MaxMedia      = 12
)
