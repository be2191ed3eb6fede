package missing

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/sms"
)

// Position is a WGS-84 position as the API carries it.
type Position struct {
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	AccuracyM float64 `json:"accuracy_m,omitempty"`
}

// Submission is what the initiator (发起人) sends: POST /api/v1/missing.
type Submission struct {
	Person    PersonInput    `json:"person"`
	LastSeen  LastSeenInput  `json:"last_seen"`
	Police    PoliceInput    `json:"police"`
	Initiator InitiatorInput `json:"initiator"`
}

// PersonInput describes the missing person.
type PersonInput struct {
	Name      string `json:"name"`
	Sex       string `json:"sex"`        // male | female
	Age       *int   `json:"age"`        // years at the time last seen; or birth_date
	BirthDate string `json:"birth_date"` // YYYY-MM-DD; or age
	HeightCm  int    `json:"height_cm"`  // optional, 30–250
	Build     string `json:"build"`      // optional: slim | medium | stout
	Features  string `json:"features"`   // distinguishing features
	Clothing  string `json:"clothing"`   // clothing when last seen
}

// LastSeenInput is when and where the person was last seen.
type LastSeenInput struct {
	At       string    `json:"at"` // RFC 3339
	Position *Position `json:"position"`
	Place    string    `json:"place"` // in words, e.g. "长安区建设北大街与和平路口"
}

// PoliceInput names the police unit that accepted the report.
type PoliceInput struct {
	Unit       string `json:"unit"`        // 6-digit code from the unit tree (Hebei)
	Phone      string `json:"phone"`       // the unit's phone: landline 0311-87654321 or mobile
	CaseNumber string `json:"case_number"` // see NormalizeCaseNumber
}

// InitiatorInput is the family member who submits.
type InitiatorInput struct {
	Name     string `json:"name"`
	Relation string `json:"relation"` // see relations
	Phone    string `json:"phone"`    // default: the account's phone
	Address  string `json:"address"`  // optional; never public
}

var relations = map[string]bool{
	"parent": true, "child": true, "spouse": true, "sibling": true,
	"grandparent": true, "grandchild": true, "relative": true, "guardian": true,
}

var builds = map[string]bool{"": true, "slim": true, "medium": true, "stout": true}

// Field limits, in characters.
const (
	maxName     = 40
	maxText     = 1000
	maxPlace    = 200
	maxReason   = 500
	maxAge      = 130
	clockSkew   = 5 * time.Minute
	dateLayout  = "2006-01-02"
	caseNumLen  = 23
	maxSighting = 2000
)

func missingField(field string) error {
	return apperr.Newf(apperr.Invalid, "missing_field", "%s is required", field).With("field", field)
}

func tooLong(field string, n int) error {
	return apperr.Newf(apperr.Invalid, "field_too_long", "%s is longer than %d characters", field, n).With("field", field)
}

// cleanText trims s and checks its length and that it holds no control
// characters other than newlines and tabs.
func cleanText(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", missingField(field)
		}
		return "", nil
	}
	if utf8.RuneCountInString(s) > max {
		return "", tooLong(field, max)
	}
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r') {
			return "", apperr.Newf(apperr.Invalid, "invalid_text", "%s holds characters that are not text", field).With("field", field)
		}
	}
	return s, nil
}

// parseTime parses an RFC 3339 time of field.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, apperr.Newf(apperr.Invalid, "invalid_time", "%s must be an RFC 3339 time, e.g. 2025-05-01T08:30:00+08:00", field).With("field", field)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// validPosition checks a position's numbers (not containment).
func validPosition(field string, p *Position) error {
	if p == nil {
		return missingField(field)
	}
	if err := geo.ValidatePosition(p.Lat, p.Lng, p.AccuracyM); err != nil {
		return apperr.From(err).With("field", field)
	}
	return nil
}

// checkUnit resolves an accepting unit code. Errors: invalid_unit (not six
// digits), unit_outside_hebei (a code of another province), unknown_unit.
func checkUnit(code string) (geo.Unit, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return geo.Unit{}, missingField("police.unit")
	}
	if len(code) != 6 || !allDigits(code) {
		return geo.Unit{}, apperr.New(apperr.Invalid, "invalid_unit", "police.unit must be a 6-digit unit code from the unit tree").With("field", "police.unit")
	}
	if !strings.HasPrefix(code, "13") {
		return geo.Unit{}, apperr.New(apperr.Unprocessable, "unit_outside_hebei",
			"the accepting unit is outside Hebei: this platform publishes notices accepted by Hebei police units only").With("field", "police.unit")
	}
	u, ok := geo.UnitByCode(code)
	if !ok {
		return geo.Unit{}, apperr.New(apperr.Invalid, "unknown_unit", "no Hebei unit has this code").With("field", "police.unit")
	}
	return u, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NormalizeUnitPhone checks a police unit's phone: a mainland landline with
// its area code (0311-87654321, 031187654321, (0311)87654321) or a mobile
// number. It returns the display form ("0311-87654321", "+8613812345678").
// Error: invalid_unit_phone.
func NormalizeUnitPhone(s string) (string, error) {
	raw := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", "（", "", "）", "").Replace(strings.TrimSpace(s))
	if raw == "" {
		return "", missingField("police.phone")
	}
	if len(raw) >= 10 && raw[0] == '0' && allDigits(raw) {
		// Area codes 010 and 02x have three digits with the 0; the others four.
		n := 4
		if raw[1] == '1' || raw[1] == '2' {
			n = 3
		}
		if num := raw[n:]; len(num) == 7 || len(num) == 8 {
			return raw[:n] + "-" + num, nil
		}
	}
	if p, err := sms.NormalizePhone(raw); err == nil {
		return p, nil
	}
	return "", apperr.New(apperr.Invalid, "invalid_unit_phone",
		"police.phone must be the unit's landline with area code (e.g. 0311-87654321) or a mobile number").With("field", "police.phone")
}

// NormalizeCaseNumber checks the case acceptance number (受案/接报案编号)
// against the format the platform accepts and returns its canonical form.
//
// Format: 23 characters — one letter, A (案件, a case) or J (警情, an
// incident record), then the 12-digit code of the accepting police organ
// (its 6-digit administrative code followed by 6 digits), the year and
// month of acceptance (yyyymm), and a 4-digit sequence number:
//
//	A 130102 000000 202505 0001  →  A1301020000002025050001
//
// Spaces and hyphens are ignored and the letter may be lower case. The
// administrative code must be the accepting unit's own or, for a city or
// the province, one of its counties; the month may not lie in the future
// nor before 2000. Errors: invalid_case_number, case_number_unit_mismatch.
func NormalizeCaseNumber(s string, unit geo.Unit, now time.Time) (string, error) {
	raw := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if raw == "" {
		return "", missingField("police.case_number")
	}
	bad := func(why string) error {
		return apperr.New(apperr.Invalid, "invalid_case_number",
			"police.case_number "+why+": expected A or J, the 12-digit police organ code, yyyymm and a 4-digit number, e.g. A1301020000002025050001").With("field", "police.case_number")
	}
	if len(raw) != caseNumLen || (raw[0] != 'A' && raw[0] != 'J') || !allDigits(raw[1:]) {
		return "", bad("does not fit the format")
	}
	year, _ := strconv.Atoi(raw[13:17])
	month, _ := strconv.Atoi(raw[17:19])
	if month < 1 || month > 12 || year < 2000 {
		return "", bad("has an impossible month")
	}
	nowY, nowM, _ := now.In(shanghai).Date()
	if year > nowY || (year == nowY && month > int(nowM)) {
		return "", bad("has a month in the future")
	}
	admin := raw[1:7]
	if admin != unit.Code {
		u, ok := geo.UnitByCode(admin)
		if !ok || !(u.Parent == unit.Code || unit.Level == geo.LevelProvince) {
			return "", apperr.New(apperr.Invalid, "case_number_unit_mismatch",
				"police.case_number belongs to another police unit than police.unit").With("field", "police.case_number")
		}
	}
	return raw, nil
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// person is the validated person.
type person struct {
	name, sex, birthDate, build, features, clothing string
	age, heightCm                                   int
}

// validated is a submission that passed validate.
type validated struct {
	person     person
	lastSeenAt time.Time
	pos        Position
	place      string
	unit       geo.Unit
	unitPhone  string
	caseNumber string
	initName   string
	relation   string
	contact    string
	address    string
}

// validate checks a submission. It does not route or touch storage. now is
// the server's clock; accountPhone is the initiator's account phone (the
// default contact).
func validate(in Submission, now time.Time, accountPhone string) (validated, error) {
	var v validated
	var err error
	p := in.Person
	if v.person.name, err = cleanText("person.name", p.Name, maxName, true); err != nil {
		return v, err
	}
	switch p.Sex {
	case "male", "female":
		v.person.sex = p.Sex
	case "":
		return v, missingField("person.sex")
	default:
		return v, apperr.New(apperr.Invalid, "invalid_sex", "person.sex must be male or female").With("field", "person.sex")
	}
	if strings.TrimSpace(in.LastSeen.At) == "" {
		return v, missingField("last_seen.at")
	}
	if v.lastSeenAt, err = parseTime("last_seen.at", in.LastSeen.At); err != nil {
		return v, err
	}
	if v.lastSeenAt.After(now.Add(clockSkew)) {
		return v, apperr.New(apperr.Invalid, "last_seen_in_future", "last_seen.at lies in the future").With("field", "last_seen.at")
	}
	if v.lastSeenAt.Before(now.AddDate(-maxAge, 0, 0)) {
		return v, apperr.New(apperr.Invalid, "invalid_time", "last_seen.at is impossibly long ago").With("field", "last_seen.at")
	}
	// Age: given, or computed from the birth date at the time last seen.
	if p.Age == nil && strings.TrimSpace(p.BirthDate) == "" {
		return v, missingField("person.age")
	}
	if p.Age != nil && (*p.Age < 0 || *p.Age > maxAge) {
		return v, apperr.New(apperr.Invalid, "invalid_age", "person.age must be between 0 and 130").With("field", "person.age")
	}
	if bd := strings.TrimSpace(p.BirthDate); bd != "" {
		b, err := time.ParseInLocation(dateLayout, bd, shanghai)
		if err != nil {
			return v, apperr.New(apperr.Invalid, "invalid_birth_date", "person.birth_date must be a date, YYYY-MM-DD").With("field", "person.birth_date")
		}
		if b.After(now) {
			return v, apperr.New(apperr.Invalid, "invalid_birth_date", "person.birth_date lies in the future").With("field", "person.birth_date")
		}
		if b.After(v.lastSeenAt) {
			return v, apperr.New(apperr.Invalid, "last_seen_before_birth", "last_seen.at is before the birth date").With("field", "last_seen.at")
		}
		age := yearsBetween(b, v.lastSeenAt.In(shanghai))
		if age > maxAge {
			return v, apperr.New(apperr.Invalid, "invalid_age", "person.birth_date gives an age over 130").With("field", "person.birth_date")
		}
		if p.Age != nil && (*p.Age < age-1 || *p.Age > age+1) {
			return v, apperr.New(apperr.Invalid, "age_mismatch", "person.age does not fit person.birth_date").With("field", "person.age")
		}
		v.person.birthDate, v.person.age = b.Format(dateLayout), age
	} else {
		v.person.age = *p.Age
	}
	if p.HeightCm != 0 && (p.HeightCm < 30 || p.HeightCm > 250) {
		return v, apperr.New(apperr.Invalid, "invalid_height", "person.height_cm must be between 30 and 250").With("field", "person.height_cm")
	}
	v.person.heightCm = p.HeightCm
	if !builds[p.Build] {
		return v, apperr.New(apperr.Invalid, "invalid_build", "person.build must be slim, medium or stout").With("field", "person.build")
	}
	v.person.build = p.Build
	if v.person.features, err = cleanText("person.features", p.Features, maxText, false); err != nil {
		return v, err
	}
	if v.person.clothing, err = cleanText("person.clothing", p.Clothing, maxText, false); err != nil {
		return v, err
	}
	if v.person.features == "" && v.person.clothing == "" {
		return v, apperr.New(apperr.Invalid, "missing_description", "describe the person's features or clothing").With("field", "person.features")
	}
	if err := validPosition("last_seen.position", in.LastSeen.Position); err != nil {
		return v, err
	}
	v.pos = *in.LastSeen.Position
	if v.place, err = cleanText("last_seen.place", in.LastSeen.Place, maxPlace, true); err != nil {
		return v, err
	}
	if v.unit, err = checkUnit(in.Police.Unit); err != nil {
		return v, err
	}
	if v.unitPhone, err = NormalizeUnitPhone(in.Police.Phone); err != nil {
		return v, err
	}
	if v.caseNumber, err = NormalizeCaseNumber(in.Police.CaseNumber, v.unit, now); err != nil {
		return v, err
	}
	if v.initName, err = cleanText("initiator.name", in.Initiator.Name, maxName, false); err != nil {
		return v, err
	}
	switch {
	case in.Initiator.Relation == "":
		return v, missingField("initiator.relation")
	case !relations[in.Initiator.Relation]:
		return v, apperr.New(apperr.Invalid, "invalid_relation",
			"initiator.relation must be parent, child, spouse, sibling, grandparent, grandchild, relative or guardian").With("field", "initiator.relation")
	}
	v.relation = in.Initiator.Relation
	contact := strings.TrimSpace(in.Initiator.Phone)
	if contact == "" {
		contact = accountPhone
	}
	if contact == "" {
		return v, missingField("initiator.phone")
	}
	if v.contact, err = sms.NormalizePhone(contact); err != nil {
		return v, apperr.From(err).With("field", "initiator.phone")
	}
	if v.address, err = cleanText("initiator.address", in.Initiator.Address, maxPlace, false); err != nil {
		return v, err
	}
	return v, nil
}

// yearsBetween is the age in whole years on day at, born on b.
func yearsBetween(b, at time.Time) int {
	y := at.Year() - b.Year()
	if at.Month() < b.Month() || (at.Month() == b.Month() && at.Day() < b.Day()) {
		y--
	}
	return y
}

// SniffMedia decides a file's type from its first bytes (never from the
// client's header): photos JPEG, PNG, WebP, GIF; videos MP4, MOV (QuickTime),
// WebM. It returns the kind ("photo" or "video"), the content type and the
// size limit. Error: unsupported_media.
func SniffMedia(head []byte) (kind, ctype string, limit int64, err error) {
	if len(head) == 0 {
		return "", "", 0, ErrMediaEmpty
	}
	// ISO BMFF ("ftyp" box at offset 4): MP4, MOV, and HEIF (refused:
	// browsers cannot show it).
	if len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")) {
		brand := string(head[8:12])
		switch {
		case brand == "qt  ":
			return "video", "video/quicktime", MaxVideoBytes, nil
		case strings.HasPrefix(brand, "hei") || strings.HasPrefix(brand, "mif") || strings.HasPrefix(brand, "avi") || strings.HasPrefix(brand, "hev"):
			return "", "", 0, ErrMediaType.Msg("HEIC/AVIF photos are not supported: send JPEG or PNG")
		default:
			return "video", "video/mp4", MaxVideoBytes, nil
		}
	}
	switch ct := http.DetectContentType(head); ct {
	case "image/jpeg", "image/png", "image/webp", "image/gif":
		return "photo", ct, MaxPhotoBytes, nil
	case "video/webm":
		return "video", ct, MaxVideoBytes, nil
	}
	return "", "", 0, ErrMediaType
}
