package profile

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"open110/platform/api"
	"open110/platform/apperr"
)

// FuzzNormalize: a PUT /api/v1/profile body decodes strictly (as the
// handler does, onto an empty profile) and normalises, or is refused with
// invalid_profile — never a panic or an internal error. What passes has a
// valid ID number (or none), a known blood type (or none), mainland mobile
// contact numbers in E.164, no duplicate or empty list entries, and
// normalises again unchanged after a trip through its stored JSON form.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`{"real_name":" 张三 ","id_number":"11010519491231002x","blood_type":"a+","allergies":["青霉素","青霉素",""],"contacts":[{"name":"李四","relation":"配偶","phone":"138 0013 8000"}]}`,
		`{"id_number":"110105194912310021"}`, `{"blood_type":"C"}`, `{"contacts":[{"name":"","phone":"13800138000"}]}`,
		`{"contacts":[{"name":"a","phone":"12345"}]}`, `{"languages":["zh","sign","en","yue"],"disabilities":["deaf"]}`,
		`{"notes":"` + strings.Repeat("很", 1001) + `"}`, `{"allergies":null,"contacts":null}`, `{"updated_at":"2026-01-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := emptyProfile()
		if err := api.DecodeBytes(b, &p); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if err := p.Normalize(); err != nil {
			if apperr.CodeOf(err) != "invalid_profile" {
				t.Fatalf("refused with %v, want invalid_profile", err)
			}
			return
		}
		if p.IDNumber != "" && !ValidIDNumber(p.IDNumber) {
			t.Fatalf("accepted id_number %q", p.IDNumber)
		}
		if p.BloodType != "" && !slices.Contains(BloodTypes, p.BloodType) {
			t.Fatalf("accepted blood_type %q", p.BloodType)
		}
		for _, l := range [][]string{p.Allergies, p.Conditions, p.Medications, p.Languages, p.Disabilities} {
			for i, v := range l {
				if v == "" || v != strings.TrimSpace(v) || slices.Contains(l[:i], v) {
					t.Fatalf("list entry %q kept in %q", v, l)
				}
			}
		}
		for _, c := range p.Contacts {
			if c.Name == "" || !strings.HasPrefix(c.Phone, "+861") || len(c.Phone) != 14 {
				t.Fatalf("accepted contact %+v", c)
			}
		}
		stored, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again := emptyProfile()
		if err := api.DecodeBytes(stored, &again); err != nil {
			t.Fatalf("stored form %s does not decode: %v", stored, err)
		}
		if err := again.Normalize(); err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("normalising twice: %+v → %+v, %v", p, again, err)
		}
	})
}
