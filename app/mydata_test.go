package app_test

import (
	"strings"
	"testing"

	"open110/app"
)

// Every feature's part of a citizen's data is in "my data" (nothing listed
// as not included), in the overview, the export and the deletion preview.
func TestMyDataCoversEveryFeature(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		cit := signInCitizen(t, a, "13800000404")
		r := call(t, "GET", a.URL+"/api/v1/mydata", cit, "")
		if r.status != 200 {
			t.Fatalf("overview: %d %s", r.status, r.raw)
		}
		if ni, _ := r.body["not_included"].([]any); len(ni) != 0 {
			t.Fatalf("not included: %v", ni)
		}
		if errs, _ := r.body["errors"].(map[string]any); len(errs) != 0 {
			t.Fatalf("section errors: %v", errs)
		}
		sections, _ := r.body["sections"].(map[string]any)
		for _, name := range []string{"alarms", "profile", "trips", "tips", "missing", "rewards", "media"} {
			if _, ok := sections[name]; !ok {
				t.Errorf("section %s missing: %s", name, r.raw)
			}
		}
		r = call(t, "GET", a.URL+"/api/v1/mydata/export", cit, "")
		if r.status != 200 || !strings.Contains(r.raw, `"trips"`) || !strings.Contains(r.raw, `"unattached_captures"`) {
			t.Fatalf("export: %d %s", r.status, r.raw)
		}
		r = call(t, "GET", a.URL+"/api/v1/mydata/deletion", cit, "")
		if r.status != 200 {
			t.Fatalf("preview: %d %s", r.status, r.raw)
		}
		if r := call(t, "POST", a.URL+"/api/v1/mydata/deletion", cit, `{"confirm":"DELETE"}`); r.status != 200 || r.body["deleted"] != true {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
	})
}

// The retention run covers every feature (nothing "not covered") and is
// audited per feature.
func TestRetentionRunCoversFeatures(t *testing.T) {
	eachNode(t, func(t *testing.T, a *app.App) {
		adm := officerToken(t, a, "admin")
		r := call(t, "POST", a.URL+"/api/v1/admin/retention/run", adm, "")
		if r.status != 200 {
			t.Fatalf("run: %d %s", r.status, r.raw)
		}
		if nc, _ := r.body["not_covered"].([]any); len(nc) != 0 {
			t.Fatalf("not covered: %v", nc)
		}
		purged, _ := r.body["purged"].(map[string]any)
		for _, f := range []string{"account", "alarm", "guardian", "media"} {
			if _, ok := purged[f]; !ok {
				t.Errorf("no %s job: %s", f, r.raw)
			}
		}
		r = call(t, "GET", a.URL+"/api/v1/audit?action=retention.purge", adm, "")
		if es, _ := r.body["entries"].([]any); len(es) != 4 {
			t.Fatalf("audit of the run: %s", r.raw)
		}
	})
}
