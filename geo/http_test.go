package geo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"open110/platform/api"
)

func newTestServer(t *testing.T, limiter *api.Limiter) *httptest.Server {
	t.Helper()
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewHandler(r, limiter).Register(mux)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func getJSON(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("%s: decode: %v", url, err)
		}
	}
	return res
}

func TestHTTPRoute(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		query  string
		status int
		code   string // error code, or county code on success
	}{
		{"lat=38.1475&lng=114.5769", 200, "130123"},
		{"lat=38.1475&lng=114.5769&accuracy_m=12.5", 200, "130123"},
		{"lat=39.9087&lng=116.3975", 404, "outside_jurisdiction"},
		{"lat=114.5769&lng=38.1475", 404, "outside_jurisdiction"},
		{"lng=114.5", 400, "invalid_position"},
		{"lat=38&lng=", 400, "invalid_position"},
		{"lat=abc&lng=114", 400, "invalid_position"},
		{"lat=NaN&lng=114", 400, "invalid_position"},
		{"lat=38&lng=Inf", 400, "invalid_position"},
		{"lat=0x1p5&lng=114", 400, "invalid_position"},
		{"lat=95&lng=114", 400, "invalid_position"},
		{"lat=38&lng=114&accuracy_m=-3", 400, "invalid_position"},
	}
	for _, tt := range tests {
		var body map[string]any
		res := getJSON(t, s.URL+"/api/v1/route?"+tt.query, &body)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d (%v)", tt.query, res.StatusCode, tt.status, body)
			continue
		}
		if tt.status == 200 {
			county := body["county"].(map[string]any)
			if county["code"] != tt.code || body["reason"] != ReasonOwnCenter || body["center"].(map[string]any)["code"] != tt.code {
				t.Errorf("%s: body %v", tt.query, body)
			}
			continue
		}
		e := body["error"].(map[string]any)
		if e["code"] != tt.code || e["message"] == "" {
			t.Errorf("%s: error %v, want code %s", tt.query, e, tt.code)
		}
		if tt.code == "outside_jurisdiction" {
			if nc, _ := e["nearest_center"].(map[string]any); nc["code"] == nil || nc["name"] == nil {
				t.Errorf("%s: no nearest_center in %v", tt.query, e)
			}
			if strings.HasPrefix(tt.query, "lat=114") && e["hint"] != HintSwapped {
				t.Errorf("%s: no swap hint in %v", tt.query, e)
			}
			if !strings.HasPrefix(tt.query, "lat=114") && e["distance_m"] == nil {
				t.Errorf("%s: no distance_m in %v", tt.query, e)
			}
		}
	}
}

func TestHTTPRouteRateLimited(t *testing.T) {
	s := newTestServer(t, api.NewLimiter(1, 2, nil))
	statuses := []int{}
	for range 3 {
		res := getJSON(t, s.URL+"/api/v1/route?lat=38.1475&lng=114.5769", nil)
		statuses = append(statuses, res.StatusCode)
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != 429 {
		t.Fatalf("statuses %v, want 200 200 429", statuses)
	}
}

func TestHTTPJurisdictions(t *testing.T) {
	s := newTestServer(t, nil)
	var tree TreeNode
	getJSON(t, s.URL+"/api/v1/jurisdictions", &tree)
	counties := 0
	for _, c := range tree.Children {
		for _, k := range c.Children {
			if k.OwnCenter == nil || !*k.OwnCenter {
				t.Errorf("%s: own_center %v", k.Code, k.OwnCenter)
			}
			counties++
		}
	}
	if tree.Code != "130000" || len(tree.Children) != 11 || counties != 167 {
		t.Fatalf("tree %s with %d cities, %d counties", tree.Code, len(tree.Children), counties)
	}
	var u map[string]any
	if res := getJSON(t, s.URL+"/api/v1/jurisdictions/130100", &u); res.StatusCode != 200 || u["name"] != "石家庄市" || len(u["children"].([]any)) != 22 {
		t.Fatalf("unit: %d %v", res.StatusCode, u)
	}
	if res := getJSON(t, s.URL+"/api/v1/jurisdictions/999999", &u); res.StatusCode != 404 {
		t.Fatalf("unknown unit: %d", res.StatusCode)
	}
}

func TestHTTPBoundary(t *testing.T) {
	s := newTestServer(t, nil)
	count := func(fc FeatureCollection) (n int) {
		for _, f := range fc.Features {
			for _, p := range f.Geometry.Coordinates {
				for _, r := range p {
					n += len(r)
				}
			}
		}
		return n
	}
	var lo, hi FeatureCollection
	res := getJSON(t, s.URL+"/api/v1/jurisdictions/130100/boundary?zoom=6&children=1", &lo)
	if res.StatusCode != 200 || res.Header.Get("ETag") == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/geo+json") {
		t.Fatalf("status %d headers %v", res.StatusCode, res.Header)
	}
	getJSON(t, s.URL+"/api/v1/jurisdictions/130100/boundary?zoom=12&children=1", &hi)
	if len(lo.Features) != 23 || len(hi.Features) != 23 {
		t.Fatalf("features %d/%d, want the city and its 22 counties", len(lo.Features), len(hi.Features))
	}
	if count(lo) >= count(hi)/3 {
		t.Errorf("zoom 6 has %d vertices, zoom 12 %d: not simplified", count(lo), count(hi))
	}
	// Rings are closed, WGS-84, and the label point of 正定 routes to 正定.
	r, _ := Load()
	for _, f := range hi.Features {
		for _, p := range f.Geometry.Coordinates {
			for _, ring := range p {
				if ring[0] != ring[len(ring)-1] || len(ring) < 4 {
					t.Fatalf("%s: open or degenerate ring", f.Properties.Code)
				}
			}
		}
		if f.Properties.Level == LevelCounty {
			rt, err := r.Route(f.Properties.Label[1], f.Properties.Label[0])
			if err != nil || rt.County.Code != f.Properties.Code {
				t.Errorf("%s label %v routes to %+v %v", f.Properties.Code, f.Properties.Label, rt.County, err)
			}
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/jurisdictions/130100/boundary?zoom=6&children=1", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res2, err := http.DefaultClient.Do(req); err != nil || res2.StatusCode != 304 {
		t.Fatalf("conditional GET: %v %v", res2.StatusCode, err)
	}
	var prov FeatureCollection
	if res := getJSON(t, s.URL+"/api/v1/jurisdictions/130000/boundary?zoom=5&children=true", &prov); res.StatusCode != 200 || len(prov.Features) != 12 {
		t.Fatalf("province: %d, %d features", res.StatusCode, len(prov.Features))
	}
	var e map[string]any
	if res := getJSON(t, s.URL+"/api/v1/jurisdictions/130100/boundary?zoom=x", &e); res.StatusCode != 400 {
		t.Fatalf("bad zoom: %d", res.StatusCode)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"38.1", "-0", "1e3", "NaN", "Inf", "0x1p3", "", " 38 ", "1_0", "+5", "9999999999999999999999999999"} {
		f.Add(s, "114.5", "")
	}
	r, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, lat, lng, acc string) {
		la, ln, ac, err := ParseQuery(lat, lng, acc)
		if err != nil {
			if CodeOf(err) != CodeInvalidPosition {
				t.Fatalf("code %q", CodeOf(err))
			}
			return
		}
		if err := ValidatePosition(la, ln, ac); err != nil {
			if c := CodeOf(err); c != CodeInvalidPosition && c != CodeOutsideJurisdiction {
				t.Fatalf("validate code %q", c)
			}
		}
		if _, err := r.Route(la, ln); err != nil {
			if c := CodeOf(err); c != CodeInvalidPosition && c != CodeOutsideJurisdiction {
				t.Fatalf("route code %q", c)
			}
		}
	})
}
