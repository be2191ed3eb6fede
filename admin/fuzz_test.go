package admin

import (
	"net/url"
	"testing"

	"open110/platform/apperr"
)

// FuzzAuditFilter: any query string of GET /api/v1/admin/audit (and its
// CSV export) gives a filter or invalid_filter, never a panic; what passes
// is bounded (values of at most 200 bytes, limit 0–1000, a non-negative
// cursor).
func FuzzAuditFilter(f *testing.F) {
	for _, s := range []string{"actor=officer:admin&action=tip.*&limit=50", "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00%2B08:00",
		"after=-1", "limit=1001", "limit=0", "after=99999999999999999999", "from=yesterday", "object=%ff%fe&subject=*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := auditFilter(q)
		if err != nil {
			if apperr.CodeOf(err) != "invalid_filter" {
				t.Fatalf("%q: refused with %v", raw, err)
			}
			return
		}
		for _, v := range []string{fl.Actor, fl.Action, fl.Object, fl.Subject} {
			if len(v) > 200 {
				t.Fatalf("%q: accepted a %d-byte value", raw, len(v))
			}
		}
		if fl.Limit < 0 || fl.Limit > 1000 || fl.AfterSeq < 0 {
			t.Fatalf("%q: accepted %+v", raw, fl)
		}
	})
}
