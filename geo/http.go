package geo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"open110/platform/api"
	"open110/platform/apperr"
)

// Handler serves the routing and jurisdiction endpoints. All are public
// reads (DESIGN §6: routing works signed out).
//
//	GET /api/v1/route?lat=&lng=[&accuracy_m=]
//	    200 {"county":{"code","name"},"city":{..},"center":{..},"reason":"own_center|city_fallback"[,"gap":true]}
//	    400 invalid_position; 404 outside_jurisdiction {"nearest_center":{..},"distance_m"} (or "hint" for a lat/lng swap);
//	    429 rate_limited (per client IP, Limiter).
//	GET /api/v1/jurisdictions
//	    the tree: {"code":"130000","name":"河北省","level":"province","children":[{city,"children":[{county,"own_center":bool}]}]}
//	GET /api/v1/jurisdictions/{code}
//	    one unit with its parent and children codes; 404 not_found.
//	GET /api/v1/jurisdictions/{code}/boundary?zoom=N[&children=1]
//	    GeoJSON FeatureCollection (WGS-84) for the console's map layer, no
//	    tile server needed: the unit's outline (province: its cities'
//	    outlines) and, with children=1, its children's outlines (province →
//	    11 cities, city → its counties), each feature carrying code, name,
//	    level, parent and a label point inside it. Simplified with
//	    Douglas–Peucker to half a pixel at zoom N (0–12; default 8; 12 and
//	    above is the full data). Responses are cached in memory and served
//	    with an ETag and a one-day public cache lifetime: the data only
//	    changes with a new build.
type Handler struct {
	router  *Router
	limiter *api.Limiter

	mu    sync.Mutex
	cache map[boundaryKey]cachedBody
}

type boundaryKey struct {
	code     string
	zoom     int
	children bool
}

type cachedBody struct {
	body []byte
	etag string
}

// maxCached bounds the boundary cache (the whole set at every zoom would be
// tens of MB; the console asks for a few zooms of a few units).
const maxCached = 256

// NewHandler returns a handler for r. limiter bounds /route per client IP
// (nil disables it; cmd wires the shared limiter or api.NewLimiter).
func NewHandler(r *Router, limiter *api.Limiter) *Handler {
	return &Handler{router: r, limiter: limiter, cache: map[boundaryKey]cachedBody{}}
}

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/route", h.route)
	mux.HandleFunc("GET /api/v1/jurisdictions", h.tree)
	mux.HandleFunc("GET /api/v1/jurisdictions/{code}", h.unit)
	mux.HandleFunc("GET /api/v1/jurisdictions/{code}/boundary", h.boundary)
}

// RouteResponse is the wire form of a Route (DESIGN §6).
type RouteResponse struct {
	County unitRef `json:"county"`
	City   unitRef `json:"city"`
	Center unitRef `json:"center"`
	Reason string  `json:"reason"`
	Gap    bool    `json:"gap,omitempty"`
}

func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	if h.limiter != nil {
		if err := h.limiter.Allow("geo.route:" + api.ClientIP(r)); err != nil {
			api.Fail(w, r, err)
			return
		}
	}
	lat, lng, acc, err := ParseQuery(r.URL.Query().Get("lat"), r.URL.Query().Get("lng"), r.URL.Query().Get("accuracy_m"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := ValidatePosition(lat, lng, acc); err != nil && CodeOf(err) == CodeInvalidPosition {
		api.Fail(w, r, err)
		return
	}
	rt, err := h.router.Route(lat, lng)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, RouteResponse{
		County: ref(rt.County), City: ref(rt.City), Center: ref(rt.Center), Reason: rt.Reason, Gap: rt.Gap,
	})
}

func ref(u Unit) unitRef { return unitRef{Code: u.Code, Name: u.Name} }

// ParseQuery parses the route query's lat, lng and optional accuracy_m.
// Errors: invalid_position naming the missing or malformed field.
func ParseQuery(latS, lngS, accS string) (lat, lng, acc float64, err error) {
	lat, err = parseCoord("lat", latS, true)
	if err != nil {
		return 0, 0, 0, err
	}
	lng, err = parseCoord("lng", lngS, true)
	if err != nil {
		return 0, 0, 0, err
	}
	acc, err = parseCoord("accuracy_m", accS, false)
	if err != nil {
		return 0, 0, 0, err
	}
	return lat, lng, acc, nil
}

func parseCoord(name, s string, required bool) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return 0, ErrInvalidPosition.Msg("%s is required", name)
		}
		return 0, nil
	}
	// ParseFloat accepts "NaN", "Inf", hex floats and underscores; a position
	// is a plain decimal, so anything else is rejected up front.
	if len(s) > 32 || strings.ContainsAny(s, "xXpP_iInN") {
		return 0, ErrInvalidPosition.Msg("%s must be a decimal number", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, ErrInvalidPosition.Msg("%s must be a decimal number", name)
	}
	return v, nil
}

// TreeNode is a unit in the jurisdiction tree.
type TreeNode struct {
	Code      string     `json:"code"`
	Name      string     `json:"name"`
	Level     Level      `json:"level"`
	OwnCenter *bool      `json:"own_center,omitempty"` // counties only: runs its own 110 centre
	Children  []TreeNode `json:"children,omitempty"`
}

// Tree returns the jurisdiction tree rooted at the province, with each
// county's current own-centre setting.
func (r *Router) Tree() TreeNode {
	own := map[string]bool{}
	for _, c := range r.OwnCenters() {
		own[c] = true
	}
	var build func(u Unit) TreeNode
	build = func(u Unit) TreeNode {
		n := TreeNode{Code: u.Code, Name: u.Name, Level: u.Level}
		if u.Level == LevelCounty {
			o := own[u.Code]
			n.OwnCenter = &o
		}
		for _, c := range Children(u.Code) {
			n.Children = append(n.Children, build(c))
		}
		return n
	}
	p, _ := UnitByCode(ProvinceCode)
	return build(p)
}

func (h *Handler) tree(w http.ResponseWriter, r *http.Request) {
	api.JSON(w, http.StatusOK, h.router.Tree())
}

func (h *Handler) unit(w http.ResponseWriter, r *http.Request) {
	u, ok := UnitByCode(r.PathValue("code"))
	if !ok {
		api.Fail(w, r, errNoUnit(r.PathValue("code")))
		return
	}
	var children []string
	for _, c := range Children(u.Code) {
		children = append(children, c.Code)
	}
	api.JSON(w, http.StatusOK, struct {
		Unit
		Children []string `json:"children,omitempty"`
	}{u, children})
}

func errNoUnit(code string) error {
	if len(code) > 12 {
		code = code[:12]
	}
	return apperr.ErrNotFound.Msg("no Hebei jurisdiction with code %q", code)
}

func (h *Handler) boundary(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := UnitByCode(code); !ok {
		api.Fail(w, r, errNoUnit(code))
		return
	}
	zoom := 8
	if z := r.URL.Query().Get("zoom"); z != "" {
		v, err := strconv.Atoi(z)
		if err != nil || v < 0 || v > 30 {
			api.Fail(w, r, apperr.Invalidf("invalid_zoom", "zoom must be an integer from 0 to 30"))
			return
		}
		zoom = min(v, MaxZoom)
	}
	ch := r.URL.Query().Get("children")
	key := boundaryKey{code: code, zoom: zoom, children: ch == "1" || ch == "true"}
	c, err := h.boundaryBody(key)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("ETag", c.etag)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	if r.Header.Get("If-None-Match") == c.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(c.body)
}

func (h *Handler) boundaryBody(k boundaryKey) (cachedBody, error) {
	h.mu.Lock()
	c, ok := h.cache[k]
	h.mu.Unlock()
	if ok {
		return c, nil
	}
	fc := FeatureCollection{Type: "FeatureCollection"}
	f, _ := h.router.Boundary(k.code, k.zoom)
	fc.Features = append(fc.Features, f)
	if k.children {
		for _, u := range Children(k.code) {
			cf, _ := h.router.Boundary(u.Code, k.zoom)
			fc.Features = append(fc.Features, cf)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fc); err != nil {
		return cachedBody{}, apperr.ErrInternal.Wrap(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	c = cachedBody{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	h.mu.Lock()
	if len(h.cache) >= maxCached {
		clear(h.cache) // crude but bounded; entries are cheap to rebuild
	}
	h.cache[k] = c
	h.mu.Unlock()
	return c, nil
}
