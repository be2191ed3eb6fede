package profile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func TestValidIDNumber(t *testing.T) {
	for id, want := range map[string]bool{
		"11010519491231002X": true, "440524188001010014": true,
		"11010519491231002Y": false, "110105194912310021": false, "1101051949123100": false, "A1010519491231002X": false,
	} {
		if ValidIDNumber(id) != want {
			t.Errorf("%s: want %v", id, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	p := Profile{RealName: "  张三 ", BloodType: "ab-", Allergies: []string{"青霉素", " ", "青霉素"}, Disabilities: []string{"deaf"},
		Contacts: []Contact{{Name: "李四", Phone: "139 0000 0001"}}}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if p.RealName != "张三" || p.BloodType != "AB-" || len(p.Allergies) != 1 || p.Contacts[0].Phone != "+8613900000001" || !p.TextFirst() {
		t.Fatalf("%+v", p)
	}
	for field, bad := range map[string]Profile{
		"id_number":      {IDNumber: "123"},
		"blood_type":     {BloodType: "C+"},
		"contacts.phone": {Contacts: []Contact{{Name: "x", Phone: "12345"}}},
		"contacts.name":  {Contacts: []Contact{{Phone: "13900000001"}}},
		"notes":          {Notes: strings.Repeat("字", 1001)},
	} {
		err := bad.Normalize()
		if !errors.Is(err, ErrInvalid) || apperr.From(err).Details["field"] != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestSealedStore(t *testing.T) {
	dbtest.Each(t, []db.Migrations{Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := NewStore(d, []byte("0123456789abcdef0123456789abcdef"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "c1"); !errors.Is(err, ErrNoProfile) {
			t.Fatalf("none yet: %v", err)
		}
		if _, err := s.Put(ctx, d, "c1", Profile{RealName: "张三", Disabilities: []string{"deaf"}}); err != nil {
			t.Fatal(err)
		}
		var sealed string
		if err := d.QueryRow(ctx, "SELECT sealed FROM citizen_profiles WHERE citizen_id = 'c1'").Scan(&sealed); err != nil || strings.Contains(sealed, "deaf") {
			t.Fatalf("stored in clear: %v", err)
		}
		got, err := s.Get(ctx, "c1")
		if err != nil || got.RealName != "张三" || !got.TextFirst() {
			t.Fatalf("read back: %+v %v", got, err)
		}
		// A sealed profile moved to another citizen's row does not open.
		if _, err := d.Exec(ctx, "INSERT INTO citizen_profiles (citizen_id, key_id, sealed, updated_at) VALUES ('c2', 'hkdf-v1', $1, 0)", sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "c2"); err == nil {
			t.Fatal("moved ciphertext opened")
		}
		// Another server secret cannot read it.
		other, _ := NewStore(d, []byte("fedcba9876543210fedcba9876543210"), nil)
		if _, err := other.Get(ctx, "c1"); err == nil {
			t.Fatal("opened with another secret")
		}
		// Saving an empty profile deletes it.
		if _, err := s.Put(ctx, d, "c1", Profile{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "c1"); !errors.Is(err, ErrNoProfile) {
			t.Fatalf("after empty save: %v", err)
		}
	})
}
