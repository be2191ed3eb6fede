package geo

import (
	_ "embed"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"open110/geo/coord"
	"open110/geo/internal/shape"
)

// gapRepairCities are the cities whose county polygons leave gaps inside
// the city outline (geo/data/README.md): only Cangzhou.
var gapRepairCities = map[string]bool{"130900": true}

//go:embed data/hebei.bin
var boundariesBin []byte

// Reasons a route names its centre.
const (
	ReasonOwnCenter    = "own_center"    // the county runs its own 110 centre
	ReasonCityFallback = "city_fallback" // it does not; its city's centre answers
)

// Route is where a position's alarm goes and why.
type Route struct {
	County Unit   // the county-level unit containing the position
	City   Unit   // its prefecture city
	Center Unit   // the unit whose 110 centre answers (County or City)
	Reason string // ReasonOwnCenter or ReasonCityFallback
	// Gap is true when the position lies in no county polygon but inside
	// Cangzhou's outline (its source county data is coarse and leaves
	// gaps); County is then the Cangzhou county with the nearest boundary.
	Gap bool
}

// Router routes WGS-84 positions to 110 centres. It is safe for concurrent
// use; only the own-centre set changes after Load, atomically.
type Router struct {
	counties []Unit // feature index → unit (code order)
	cities   []Unit // city feature index → unit
	cityOf   []int  // county feature index → city feature index
	cityIdx  map[string]int
	county   *layer
	city     *layer     // outlines of gapRepairCities
	near     *nearIndex // edges of the gap-repair cities' counties
	// outer indexes the province's outer boundary for outside answers. It
	// is built in the background when Load returns (tens of ms; inside
	// lookups never need it); the first outside answer waits for it.
	outer    func() *nearIndex
	inRepair [][]bool // repair-layer feature → allow-mask over county features
	shapes   map[string][]shape.Polygon
	own      atomic.Pointer[[]bool] // county feature index → runs own centre
}

// Load builds a Router from the embedded data, with every county running its
// own centre (the demo configuration; see SetOwnCenters). It fails only if
// the embedded data is corrupt.
func Load() (*Router, error) {
	fs, err := shape.Decode(boundariesBin)
	if err != nil {
		return nil, fmt.Errorf("geo: decode boundaries: %w", err)
	}
	r := &Router{cityIdx: map[string]int{}, shapes: map[string][]shape.Polygon{}}
	var counties, cities []shape.Feature
	for _, f := range fs {
		u, ok := UnitByCode(f.Code)
		if !ok {
			return nil, fmt.Errorf("geo: boundary for unknown unit %s", f.Code)
		}
		r.shapes[f.Code] = f.Polygons
		switch {
		case f.Kind == shape.County && u.Level == LevelCounty:
			counties = append(counties, f)
			r.counties = append(r.counties, u)
		case f.Kind == shape.City && u.Level == LevelCity:
			r.cityIdx[u.Code] = len(cities)
			cities = append(cities, f)
			r.cities = append(r.cities, u)
		default:
			return nil, fmt.Errorf("geo: boundary %s of kind %d for a %s", f.Code, f.Kind, u.Level)
		}
	}
	for _, u := range r.counties {
		ci, ok := r.cityIdx[u.Parent]
		if !ok {
			return nil, fmt.Errorf("geo: county %s has no city outline %s", u.Code, u.Parent)
		}
		r.cityOf = append(r.cityOf, ci)
	}
	// Only cities whose county data is defective get the gap repair; other
	// cities' counties are fine-grained, and a point outside them but inside
	// echarts' coarser city outline is a disagreement between sources at the
	// province border, not a gap: it stays outside (never a guess).
	var repair []shape.Feature
	for _, f := range cities {
		if gapRepairCities[f.Code] {
			repair = append(repair, f)
		}
	}
	// The two grids are independent; building them in parallel saves
	// start-up time on a multi-core machine.
	var wg sync.WaitGroup
	wg.Go(func() { r.county = buildLayer(counties) })
	wg.Go(func() { r.city = buildLayer(repair) })
	wg.Wait()
	r.near = buildNear(counties, false, func(i int) bool { return gapRepairCities[r.counties[i].Parent] })
	r.outer = sync.OnceValue(func() *nearIndex { return buildNear(counties, true, nil) })
	go r.outer()
	for _, f := range repair {
		mask := make([]bool, len(counties))
		for i, u := range r.counties {
			mask[i] = u.Parent == f.Code
		}
		r.inRepair = append(r.inRepair, mask)
	}
	all := make([]bool, len(counties))
	for i := range all {
		all[i] = true
	}
	r.own.Store(&all)
	return r, nil
}

// SetOwnCenters sets which county-level units run their own 110 centre;
// every other county falls back to its city's centre. It takes effect for
// the next lookup (atomic swap, no restart). An unknown or non-county code
// is an error and changes nothing.
func (r *Router) SetOwnCenters(codes []string) error {
	set := make([]bool, len(r.counties))
	idx := make(map[string]int, len(r.counties))
	for i, u := range r.counties {
		idx[u.Code] = i
	}
	for _, c := range codes {
		i, ok := idx[c]
		if !ok {
			return fmt.Errorf("geo: %q is not a county-level unit of Hebei", c)
		}
		set[i] = true
	}
	r.own.Store(&set)
	return nil
}

// OwnCenters returns the codes of the counties running their own centre.
func (r *Router) OwnCenters() []string {
	var out []string
	for i, on := range *r.own.Load() {
		if on {
			out = append(out, r.counties[i].Code)
		}
	}
	return out
}

// OverflowChain returns the centres an alarm at centerCode escalates to, in
// order, starting with centerCode itself: county → city → province
// (130000). It returns nil for a code that is not a Hebei unit.
func (r *Router) OverflowChain(centerCode string) []string {
	u, ok := UnitByCode(centerCode)
	if !ok {
		return nil
	}
	switch u.Level {
	case LevelCounty:
		return []string{u.Code, u.Parent, ProvinceCode}
	case LevelCity:
		return []string{u.Code, ProvinceCode}
	default:
		return []string{ProvinceCode}
	}
}

// locate is the allocation-free core: the county feature containing the
// GCJ-02 position (or the gap repair), or -1.
func (r *Router) locate(gLat, gLng float64) (county int, gap bool) {
	x, y := gLng*shape.Scale, gLat*shape.Scale
	if i := r.county.lookup(x, y); i >= 0 {
		return i, false
	}
	ri := r.city.lookup(x, y)
	if ri < 0 {
		return -1, false
	}
	i, _, _ := r.near.nearest(x, y, math.Cos(gLat*math.Pi/180), r.inRepair[ri])
	return i, true
}

// Route returns the centre for a WGS-84 position. Errors (all *apperr.Error,
// see errors.go): invalid_position for NaN, infinite or out-of-range input;
// outside_jurisdiction for a position in no Hebei county, carrying an
// *OutsideError with the nearest centre and the distance to its area.
// Routing a valid position inside Hebei does not allocate.
func (r *Router) Route(lat, lng float64) (Route, error) {
	if err := checkRange(lat, lng); err != nil {
		if serr := r.swappedError(lat, lng); serr != nil {
			return Route{}, serr
		}
		return Route{}, err
	}
	gLat, gLng := coord.WGS84ToGCJ02(lat, lng)
	i, gap := r.locate(gLat, gLng)
	if i < 0 {
		return Route{}, r.outside(lat, lng, gLat, gLng)
	}
	rt := Route{County: r.counties[i], City: r.cities[r.cityOf[i]], Gap: gap}
	if (*r.own.Load())[i] {
		rt.Center, rt.Reason = rt.County, ReasonOwnCenter
	} else {
		rt.Center, rt.Reason = rt.City, ReasonCityFallback
	}
	return rt, nil
}

// centerFor is the centre that answers for county feature i now.
func (r *Router) centerFor(i int) Unit {
	if (*r.own.Load())[i] {
		return r.counties[i]
	}
	return r.cities[r.cityOf[i]]
}

// County returns the county-level unit containing a WGS-84 position (with
// Cangzhou's gap repair), or false when the position is invalid or outside
// Hebei. It is Route's decision without the outside answer's nearest-centre
// search: allocation-free for every input.
func (r *Router) County(lat, lng float64) (Unit, bool) {
	if checkRange(lat, lng) != nil {
		return Unit{}, false
	}
	gLat, gLng := coord.WGS84ToGCJ02(lat, lng)
	i, _ := r.locate(gLat, gLng)
	if i < 0 {
		return Unit{}, false
	}
	return r.counties[i], true
}
