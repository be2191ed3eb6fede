package settings

import (
	"encoding/json"
	"reflect"
	"testing"

	"open110/platform/api"
	"open110/platform/apperr"
)

// FuzzValidate: the "settings" object of PUT /api/v1/admin/settings
// decodes strictly and validates, or is refused with invalid_setting
// naming the field — never a panic or an internal error. What passes
// survives what the console does with it: shown masked and saved back
// unchanged, it still validates; and its stored JSON form decodes strictly
// to the same settings.
func FuzzValidate(f *testing.F) {
	def, _ := json.Marshal(Defaults())
	f.Add(def)
	for _, s := range []string{
		`{"overflow_after_s":4}`, `{"quick_phrases":["  "]}`,
		`{"overflow_after_s":20,"abandon_after_s":60,"trip_retention_days":30,"closed_retention_days":365,"evidence_retention_days":3650,"session_retention_days":7,"rate_limits":{"otp_per_phone_day":10,"otp_per_ip_hour":30,"login_per_ip_minute":30,"alarms_per_phone_hour":3},"sms":{"gateway_url":"https://gw.example/send","secret":"s"},"turn":{"urls":["turns:turn.example:443?transport=tcp"],"username":"u","credential":"c"}}`,
		`{"sms":{"gateway_url":"ftp://x"}}`, `{"turn":{"urls":["stun:stun.example:3478"]}}`, `{"rate_limits":{"otp_per_phone_day":51}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Defaults()
		if err := api.DecodeBytes(b, &s); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			e := apperr.From(err)
			if field, _ := e.Details["field"].(string); e.Code != "invalid_setting" || field == "" {
				t.Fatalf("refused with %v (%v), want invalid_setting with a field", err, e.Details)
			}
			return
		}
		if err := s.Mask().Validate(); err != nil {
			t.Fatalf("valid settings are invalid once masked: %v", err)
		}
		stored, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var again Settings
		if err := api.DecodeBytes(stored, &again); err != nil {
			t.Fatalf("stored form %s does not decode: %v", stored, err)
		}
		if again.QuickPhrases == nil {
			again.QuickPhrases = s.QuickPhrases
		}
		if again.TURN.URLs == nil {
			again.TURN.URLs = s.TURN.URLs
		}
		if !reflect.DeepEqual(again, s) || again.Validate() != nil {
			t.Fatalf("stored form changes the settings: %+v → %+v", s, again)
		}
	})
}
