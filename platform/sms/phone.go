package sms

import (
	"strings"

	"open110/platform/apperr"
)

// ErrInvalidPhone is returned for anything that is not a mainland China
// mobile number.
var ErrInvalidPhone = apperr.New(apperr.Invalid, "invalid_phone", "phone must be a mainland China mobile number, e.g. +8613800000000")

// NormalizePhone accepts a mainland mobile number as "13800000000",
// "+86 138-0000-0000", "8613800000000" or "008613800000000" and returns its
// E.164 form "+8613800000000". Mainland mobile numbers are 11 digits
// starting 1[3-9].
func NormalizePhone(s string) (string, error) {
	if len(s) > 32 {
		return "", ErrInvalidPhone
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || (c == '+' && i == 0) || c == '(' || c == ')':
		default:
			return "", ErrInvalidPhone
		}
	}
	d := string(digits)
	switch {
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case len(d) == 11 && strings.HasPrefix(s, "+"):
		return "", ErrInvalidPhone // "+138…" is not a mainland number
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return "", ErrInvalidPhone
	}
	return "+86" + d, nil
}
