package missing

import (
	"encoding/json"
	"math"
	"time"

	"open110/geo"
)

// UnitRef names a unit or centre: {"code","name"}.
type UnitRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func unitRef(code string) *UnitRef {
	if code == "" {
		return nil
	}
	u, ok := geo.UnitByCode(code)
	if !ok {
		return &UnitRef{Code: code}
	}
	return &UnitRef{Code: u.Code, Name: u.Name}
}

func centerRef(code string) *UnitRef {
	r := unitRef(code)
	if r != nil && r.Name != "" {
		r.Name += "110指挥中心"
	}
	return r
}

// PersonView describes the missing person.
type PersonView struct {
	Name      string `json:"name,omitempty"`
	Sex       string `json:"sex,omitempty"`
	Age       *int   `json:"age,omitempty"` // years when last seen
	BirthDate string `json:"birth_date,omitempty"`
	HeightCm  int    `json:"height_cm,omitempty"`
	Build     string `json:"build,omitempty"`
	Features  string `json:"features,omitempty"`
	Clothing  string `json:"clothing,omitempty"`
}

// LastSeenView is when and where the person was last seen. The public view
// rounds the position to 0.01° (about 1 km) and shows the place text the
// centre approved.
type LastSeenView struct {
	At    time.Time `json:"at"`
	Place string    `json:"place,omitempty"`
	// PlacePublic is the wording the centre chose for the public notice (officers only).
	PlacePublic string    `json:"place_public,omitempty"`
	Position    *Position `json:"position,omitempty"`
	City        *UnitRef  `json:"city,omitempty"`
	County      *UnitRef  `json:"county,omitempty"`
}

// PoliceView is the accepting unit and its phone (public).
type PoliceView struct {
	Unit       *UnitRef `json:"unit"`
	Phone      string   `json:"phone"`
	CaseNumber string   `json:"case_number,omitempty"` // initiator and officers only
}

// InitiatorView is the family contact: never public.
type InitiatorView struct {
	Name     string `json:"name,omitempty"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
	Address  string `json:"address,omitempty"`
}

// MediaView is one photo or video.
type MediaView struct {
	SHA256      string    `json:"sha256"`
	Kind        string    `json:"kind"` // photo | video
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	URL         string    `json:"url"`
	AddedAt     time.Time `json:"added_at"`
}

// ClosureView is the public closure notice that replaces a closed notice.
type ClosureView struct {
	Outcome Outcome   `json:"outcome"`
	Notice  string    `json:"notice,omitempty"`
	At      time.Time `json:"at"`
}

// VerificationView is what the centre checked (officers only).
type VerificationView struct {
	Verifier string          `json:"verifier,omitempty"`
	Checks   json.RawMessage `json:"checks,omitempty"`
}

// ProgressView is what the initiator sees of the search: counts of
// sightings by triage status and the officers' progress notes — never the
// sightings themselves.
type ProgressView struct {
	Sightings int                    `json:"sightings"`
	ByStatus  map[SightingStatus]int `json:"by_status"`
	Notes     []NoteView             `json:"notes"`
}

// NoteView is one progress note from the handling centre.
type NoteView struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Detail is a notice as one caller may see it. Fields are filled by role:
// the public sees a published notice without the initiator, the case
// number or the exact position; the initiator sees their own notice and
// its progress; officers of the responsible centre see everything.
type Detail struct {
	ID            string            `json:"id"`
	State         State             `json:"state"`
	Person        PersonView        `json:"person"`
	LastSeen      *LastSeenView     `json:"last_seen,omitempty"`
	Police        *PoliceView       `json:"police,omitempty"`
	Initiator     *InitiatorView    `json:"initiator,omitempty"`
	Center        *UnitRef          `json:"center,omitempty"`
	Media         []MediaView       `json:"media,omitempty"`
	CoverURL      string            `json:"cover_url,omitempty"`
	CreatedAt     *time.Time        `json:"created_at,omitempty"`
	UpdatedAt     *time.Time        `json:"updated_at,omitempty"`
	PublishedAt   *time.Time        `json:"published_at,omitempty"`
	RejectReason  string            `json:"reject_reason,omitempty"`
	Closure       *ClosureView      `json:"closure,omitempty"`
	Verification  *VerificationView `json:"verification,omitempty"`
	Progress      *ProgressView     `json:"progress,omitempty"`
	AlertRadiusKm int               `json:"alert_radius_km,omitempty"`
	SharePath     string            `json:"share_path,omitempty"`
	DistanceKm    *float64          `json:"distance_km,omitempty"`
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func round(v, step float64) float64 { return math.Round(v/step) * step }

// publicDetail is a published (or closed after publication) notice for
// everyone. A closed notice shows only its closure notice, the person's
// name (not for a hoax) and the city: the closure replaces the notice.
func publicDetail(n notice, ms []media) Detail {
	d := Detail{ID: n.ID, State: n.State, PublishedAt: tp(n.PublishedAt), SharePath: "/#/missing/p/" + n.ID}
	ls := &LastSeenView{At: n.LastSeenAt, City: unitRef(n.City), County: unitRef(n.County)}
	if n.State == Closed {
		d.Closure = &ClosureView{Outcome: n.Outcome, Notice: n.ClosureNotice, At: n.ClosedAt}
		if n.Outcome != Hoax {
			d.Person = PersonView{Name: n.P.name}
		}
		d.LastSeen = ls
		return d
	}
	age := n.P.age
	d.Person = PersonView{Name: n.P.name, Sex: n.P.sex, Age: &age, HeightCm: n.P.heightCm, Build: n.P.build, Features: n.P.features, Clothing: n.P.clothing}
	ls.Place = n.PlacePublic
	if ls.Place == "" {
		ls.Place = n.Place
	}
	ls.Position = &Position{Lat: round(n.Lat, 0.01), Lng: round(n.Lng, 0.01)}
	d.LastSeen = ls
	d.Police = &PoliceView{Unit: unitRef(n.Unit), Phone: n.UnitPhone}
	for _, m := range ms {
		d.Media = append(d.Media, mediaView(m, "/api/v1/missing/public/"+n.ID+"/media/"))
	}
	if n.CoverSHA != "" {
		d.CoverURL = "/api/v1/missing/public/" + n.ID + "/media/" + n.CoverSHA
	}
	return d
}

func mediaView(m media, prefix string) MediaView {
	return MediaView{SHA256: m.SHA256, Kind: m.Kind, ContentType: m.ContentType, Size: m.Size, URL: prefix + m.SHA256, AddedAt: m.AddedAt}
}

// privateDetail is the initiator's and the officers' view.
func privateDetail(n notice, ms []media, officer bool) Detail {
	age := n.P.age
	d := Detail{
		ID: n.ID, State: n.State,
		Person: PersonView{Name: n.P.name, Sex: n.P.sex, Age: &age, BirthDate: n.P.birthDate, HeightCm: n.P.heightCm,
			Build: n.P.build, Features: n.P.features, Clothing: n.P.clothing},
		LastSeen: &LastSeenView{At: n.LastSeenAt, Place: n.Place, Position: &Position{Lat: n.Lat, Lng: n.Lng, AccuracyM: n.Acc},
			City: unitRef(n.City), County: unitRef(n.County)},
		Police:       &PoliceView{Unit: unitRef(n.Unit), Phone: n.UnitPhone, CaseNumber: n.CaseNumber},
		Initiator:    &InitiatorView{Name: n.InitName, Relation: n.Relation, Phone: n.Contact, Address: n.Address},
		Center:       centerRef(n.Center),
		CreatedAt:    tp(n.CreatedAt),
		UpdatedAt:    tp(n.UpdatedAt),
		PublishedAt:  tp(n.PublishedAt),
		RejectReason: n.RejectReason,
	}
	if n.State == Closed {
		d.Closure = &ClosureView{Outcome: n.Outcome, Notice: n.ClosureNotice, At: n.ClosedAt}
	}
	if !n.PublishedAt.IsZero() {
		d.SharePath = "/#/missing/p/" + n.ID
	}
	for _, m := range ms {
		d.Media = append(d.Media, mediaView(m, "/api/v1/missing/notices/"+n.ID+"/media/"))
	}
	if n.CoverSHA != "" {
		d.CoverURL = "/api/v1/missing/notices/" + n.ID + "/media/" + n.CoverSHA
	}
	if officer {
		d.Verification = &VerificationView{Verifier: n.Verifier, Checks: json.RawMessage(n.Checks)}
		d.AlertRadiusKm = n.AlertRadiusKm
		d.LastSeen.PlacePublic = n.PlacePublic
	}
	return d
}

// SightingView is a sighting as officers see it. Anonymous sightings carry
// no identity.
type SightingView struct {
	ID        string         `json:"id"`
	NoticeID  string         `json:"notice_id"`
	Text      string         `json:"text"`
	SeenAt    *time.Time     `json:"seen_at,omitempty"`
	Position  *Position      `json:"position,omitempty"`
	PhotoURL  string         `json:"photo_url,omitempty"`
	Anonymous bool           `json:"anonymous"`
	Phone     string         `json:"phone,omitempty"`
	Status    SightingStatus `json:"status"`
	Note      string         `json:"note,omitempty"`
	TriagedBy string         `json:"triaged_by,omitempty"`
	TriagedAt *time.Time     `json:"triaged_at,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

func sightingView(s sighting) SightingView {
	v := SightingView{ID: s.ID, NoticeID: s.NoticeID, Text: s.Body, SeenAt: tp(s.SeenAt), Anonymous: s.Anonymous, Status: s.Status,
		Note: s.TriageNote, TriagedBy: s.TriagedBy, TriagedAt: tp(s.TriagedAt), CreatedAt: s.CreatedAt}
	if s.HasPosition {
		v.Position = &Position{Lat: s.Lat, Lng: s.Lng, AccuracyM: s.Acc}
	}
	if s.PhotoSHA != "" {
		v.PhotoURL = "/api/v1/missing/sightings/" + s.ID + "/photo"
	}
	if !s.Anonymous {
		v.Phone = s.Phone
	}
	return v
}
