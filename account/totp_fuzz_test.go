package account

import (
	"testing"
	"time"
)

// FuzzTOTP: any secret, code and time give a verdict, never a panic. A code
// is accepted only if it is the 6-digit code of the secret within one
// 30-second step of now, and the code TOTPCode gives for a usable secret
// is always accepted at that time (for times after the first minute of
// 1970: step 0 means "no match").
func FuzzTOTP(f *testing.F) {
	f.Add("JBSWY3DPEHPK3PXP", "123456", int64(1_700_000_000))
	f.Add("jbswy3dpehpk3pxp ", "000000", int64(59))
	f.Add("", "", int64(0))
	f.Add("A=", "12345", int64(-1))
	f.Fuzz(func(t *testing.T, secret, code string, unix int64) {
		unix %= 1 << 40 // within time.Unix's range, about 35,000 years either side
		now := time.Unix(unix, 0)
		step := checkTOTP(secret, code, now)
		if step != 0 {
			own := now.Unix() / totpStep
			if step < own-1 || step > own+1 || len(code) != 6 || !allDigits(code) {
				t.Fatalf("secret %q code %q at %d: accepted step %d", secret, code, unix, step)
			}
		}
		want, err := TOTPCode(secret, now)
		if err != nil {
			if step != 0 {
				t.Fatalf("unusable secret %q accepted code %q", secret, code)
			}
			return
		}
		if len(want) != 6 || !allDigits(want) {
			t.Fatalf("TOTPCode(%q) = %q", secret, want)
		}
		if unix >= 2*totpStep && checkTOTP(secret, want, now) == 0 {
			t.Fatalf("secret %q at %d: its own code %q refused", secret, unix, want)
		}
	})
}
