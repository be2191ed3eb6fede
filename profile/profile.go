// Package profile keeps each citizen's optional emergency profile (the
// Smart911 / RapidSOS idea): real name, ID number, blood type, allergies,
// conditions, medications, languages, disabilities (deaf: the dispatcher
// starts in text) and emergency contacts. Profiles are stored encrypted
// with AES-256-GCM under a key derived from the server secret by HKDF. A
// dispatcher sees a profile only while they are the answering dispatcher
// of an alarm raised by that citizen, and every display is audited with
// the citizen as the subject, so it appears in the citizen's access log.
package profile

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/sms"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the profiles' schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "profile", FS: sub}
}

// Contact is an emergency contact.
type Contact struct {
	Name     string `json:"name"`
	Relation string `json:"relation,omitempty"`
	Phone    string `json:"phone"` // E.164 once saved
}

// Profile is a citizen's supplemental data. Every field is optional.
type Profile struct {
	RealName     string    `json:"real_name"`
	IDNumber     string    `json:"id_number"`  // 居民身份证号码, 18 characters with a valid check digit
	BloodType    string    `json:"blood_type"` // A+ … O-, or "" unknown
	Allergies    []string  `json:"allergies"`
	Conditions   []string  `json:"conditions"`
	Medications  []string  `json:"medications"`
	Languages    []string  `json:"languages"`    // e.g. "zh", "yue", "en", "sign" (手语)
	Disabilities []string  `json:"disabilities"` // codes below, or free text
	Contacts     []Contact `json:"contacts"`
	Notes        string    `json:"notes"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Disability codes the console understands.
var Disabilities = []string{"deaf", "hard_of_hearing", "speech", "blind", "low_vision", "mobility", "cognitive"}

// BloodTypes are the accepted blood types.
var BloodTypes = []string{"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"}

// TextFirst reports whether the dispatcher should start the conversation
// in text (deaf, hard of hearing or speech-impaired callers).
func (p Profile) TextFirst() bool {
	for _, d := range p.Disabilities {
		if d == "deaf" || d == "hard_of_hearing" || d == "speech" {
			return true
		}
	}
	return false
}

// Empty reports whether nothing is filled in.
func (p Profile) Empty() bool {
	return p.RealName == "" && p.IDNumber == "" && p.BloodType == "" && len(p.Allergies) == 0 && len(p.Conditions) == 0 &&
		len(p.Medications) == 0 && len(p.Languages) == 0 && len(p.Disabilities) == 0 && len(p.Contacts) == 0 && p.Notes == ""
}

// ErrInvalid is a field that does not validate; "field" names it.
var ErrInvalid = apperr.New(apperr.Invalid, "invalid_profile", "a profile field is invalid")

// ErrNoProfile: the citizen has not filled in a profile.
var ErrNoProfile = apperr.New(apperr.NotFound, "profile_not_found", "this citizen has no emergency profile")

// Normalize trims and validates p in place.
func (p *Profile) Normalize() error {
	bad := func(field, msg string) error { return ErrInvalid.Msg("%s", msg).With("field", field) }
	text := func(field string, s *string, max int) error {
		*s = strings.TrimSpace(*s)
		if !utf8.ValidString(*s) || utf8.RuneCountInString(*s) > max {
			return bad(field, fmt.Sprintf("%s: at most %d characters", field, max))
		}
		return nil
	}
	list := func(field string, l *[]string, maxItems, maxLen int) error {
		out := []string{}
		for _, s := range *l {
			if err := text(field, &s, maxLen); err != nil {
				return err
			}
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if len(out) > maxItems {
			return bad(field, fmt.Sprintf("%s: at most %d entries", field, maxItems))
		}
		*l = out
		return nil
	}
	for _, err := range []error{
		text("real_name", &p.RealName, 64), text("notes", &p.Notes, 1000),
		list("allergies", &p.Allergies, 20, 100), list("conditions", &p.Conditions, 20, 100),
		list("medications", &p.Medications, 20, 100), list("languages", &p.Languages, 10, 32),
		list("disabilities", &p.Disabilities, 10, 64),
	} {
		if err != nil {
			return err
		}
	}
	p.IDNumber = strings.ToUpper(strings.TrimSpace(p.IDNumber))
	if p.IDNumber != "" && !ValidIDNumber(p.IDNumber) {
		return bad("id_number", "id_number: 18 characters with a valid check digit")
	}
	p.BloodType = strings.ToUpper(strings.TrimSpace(p.BloodType))
	if p.BloodType != "" && !slices.Contains(BloodTypes, p.BloodType) {
		return bad("blood_type", "blood_type: one of "+strings.Join(BloodTypes, ", "))
	}
	if len(p.Contacts) > 5 {
		return bad("contacts", "at most 5 emergency contacts")
	}
	if p.Contacts == nil {
		p.Contacts = []Contact{}
	}
	for i := range p.Contacts {
		c := &p.Contacts[i]
		if err := text("contacts.name", &c.Name, 64); err != nil {
			return err
		}
		if err := text("contacts.relation", &c.Relation, 32); err != nil {
			return err
		}
		if c.Name == "" {
			return bad("contacts.name", "each contact needs a name")
		}
		phone, err := sms.NormalizePhone(c.Phone)
		if err != nil {
			return bad("contacts.phone", "contact "+c.Name+": not a mainland mobile number")
		}
		c.Phone = phone
	}
	return nil
}

// ValidIDNumber checks an 18-character resident ID number's form and
// check digit (GB 11643-1999).
func ValidIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11] == s[17]
}

// Store seals and opens profiles.
type Store struct {
	db    *db.DB
	aead  cipher.AEAD
	keyID string
	now   func() time.Time
}

// keyInfo names the derived key; a new key would get a new info and key id.
const keyInfo = "open110 citizen profile v1"

// NewStore derives the profile key from the server secret.
func NewStore(d *db.DB, secret []byte, now func() time.Time) (*Store, error) {
	if len(secret) < 16 {
		return nil, errors.New("profile: server secret too short")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, keyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("profile: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: d, aead: aead, keyID: "hkdf-v1", now: now}, nil
}

func (s *Store) seal(citizenID string, p Profile) (string, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, plain, []byte(citizenID))
	return base64.StdEncoding.EncodeToString(out), nil
}

func (s *Store) open(citizenID, sealed string) (Profile, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return Profile{}, errors.New("profile: damaged ciphertext")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(citizenID))
	if err != nil {
		return Profile{}, fmt.Errorf("profile: cannot decrypt (wrong server secret?): %w", err)
	}
	var p Profile
	if err := json.Unmarshal(plain, &p); err != nil {
		return Profile{}, fmt.Errorf("profile: decode: %w", err)
	}
	return p, nil
}

// Get returns a citizen's profile. Errors: profile_not_found.
func (s *Store) Get(ctx context.Context, citizenID string) (Profile, error) {
	var sealed, keyID string
	err := s.db.QueryRow(ctx, "SELECT sealed, key_id FROM citizen_profiles WHERE citizen_id = $1", citizenID).Scan(&sealed, &keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, ErrNoProfile
	}
	if err != nil {
		return Profile{}, fmt.Errorf("profile: read: %w", err)
	}
	if keyID != s.keyID {
		return Profile{}, fmt.Errorf("profile: sealed with unknown key %q", keyID)
	}
	return s.open(citizenID, sealed)
}

// Put validates and stores p (an empty profile deletes it) inside q.
// Errors: invalid_profile with field.
func (s *Store) Put(ctx context.Context, q db.Querier, citizenID string, p Profile) (Profile, error) {
	if err := p.Normalize(); err != nil {
		return Profile{}, err
	}
	if p.Empty() {
		return Profile{}, s.Delete(ctx, q, citizenID)
	}
	p.UpdatedAt = s.now().UTC().Truncate(time.Second)
	sealed, err := s.seal(citizenID, p)
	if err != nil {
		return Profile{}, err
	}
	_, err = q.Exec(ctx, `INSERT INTO citizen_profiles (citizen_id, key_id, sealed, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (citizen_id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		citizenID, s.keyID, sealed, db.Micros(p.UpdatedAt))
	if err != nil {
		return Profile{}, fmt.Errorf("profile: save: %w", err)
	}
	return p, nil
}

// Delete removes a citizen's profile; none is not an error.
func (s *Store) Delete(ctx context.Context, q db.Querier, citizenID string) error {
	if _, err := q.Exec(ctx, "DELETE FROM citizen_profiles WHERE citizen_id = $1", citizenID); err != nil {
		return fmt.Errorf("profile: delete: %w", err)
	}
	return nil
}
