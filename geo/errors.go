package geo

import (
	"fmt"
	"math"
	"strconv"

	"open110/geo/coord"
	"open110/geo/internal/shape"
	"open110/platform/apperr"
)

// Stable error codes of this package.
const (
	CodeInvalidPosition     = "invalid_position"
	CodeOutsideJurisdiction = "outside_jurisdiction"
)

// ErrInvalidPosition and ErrOutside are sentinels for errors.Is; returned
// errors carry specific messages and details.
var (
	ErrInvalidPosition = apperr.New(apperr.Invalid, CodeInvalidPosition, "position is invalid")
	ErrOutside         = apperr.New(apperr.NotFound, CodeOutsideJurisdiction, "position is outside Hebei's jurisdiction")
)

// OutsideError is the cause inside an outside_jurisdiction error: the point
// is in no Hebei county. It is never a guess — NearestCenter is a
// suggestion for the caller, not a routing decision.
type OutsideError struct {
	NearestCounty Unit    // the county whose area is nearest
	NearestCenter Unit    // the centre that answers for it
	DistanceM     float64 // metres from the position to that county's area
	Swapped       bool    // lat/lng look swapped; NearestCenter is for the swapped reading, DistanceM is 0
	Hint          string  // HintSwapped when Swapped
}

func (e *OutsideError) Error() string {
	return fmt.Sprintf("outside Hebei: nearest centre %s %s at %.0f m", e.NearestCenter.Code, e.NearestCenter.Name, e.DistanceM)
}

// Code returns the stable code, outside_jurisdiction.
func (e *OutsideError) Code() string { return CodeOutsideJurisdiction }

func checkRange(lat, lng float64) error {
	switch {
	case math.IsNaN(lat) || math.IsNaN(lng) || math.IsInf(lat, 0) || math.IsInf(lng, 0):
		return ErrInvalidPosition.Msg("lat and lng must be finite numbers")
	case lat < -90 || lat > 90:
		return ErrInvalidPosition.Msg("lat must be between -90 and 90")
	case lng < -180 || lng > 180:
		return ErrInvalidPosition.Msg("lng must be between -180 and 180")
	}
	return nil
}

// outside builds the outside_jurisdiction error for a position in no county.
func (r *Router) outside(lat, lng, gLat, gLng float64) error {
	i, px, py := r.outer().nearest(gLng*shape.Scale, gLat*shape.Scale, math.Cos(gLat*math.Pi/180), nil)
	// Measured between GCJ-02 positions: the offset field changes by a few
	// metres per kilometre, so this is within 0.5% of the WGS-84 distance
	// and saves the iterative inverse conversion.
	oe := &OutsideError{NearestCounty: r.counties[i], NearestCenter: r.centerFor(i),
		DistanceM: math.Round(coord.DistanceM(gLat, gLng, py/shape.Scale, px/shape.Scale))}
	// Built directly (not with apperr's With, which copies the details map
	// per field): outside answers are half of a uniform sample of the
	// bounding box, so their cost shows.
	return &apperr.Error{
		Kind: apperr.NotFound,
		Code: CodeOutsideJurisdiction,
		Message: "position is outside Hebei's jurisdiction; nearest centre is " + oe.NearestCenter.Name + ", " +
			strconv.FormatFloat(oe.DistanceM/1000, 'f', 1, 64) + " km away",
		Details: map[string]any{
			"nearest_center": unitRef{oe.NearestCenter.Code, oe.NearestCenter.Name},
			"distance_m":     oe.DistanceM,
		},
		Err: oe,
	}
}

// swappedError answers a position whose latitude is out of range but which,
// read as (lng, lat), lies in Hebei: most likely a client that swapped the
// fields. It is not routed (never a guess); the hint and the centre of the
// swapped reading help the caller fix it. DistanceM is not measured.
func (r *Router) swappedError(lat, lng float64) error {
	if !swappedBBox(lat, lng) {
		return nil
	}
	gLat, gLng := coord.WGS84ToGCJ02(lng, lat)
	i, _ := r.locate(gLat, gLng)
	if i < 0 {
		return nil
	}
	oe := &OutsideError{NearestCounty: r.counties[i], NearestCenter: r.centerFor(i), Swapped: true, Hint: HintSwapped}
	return ErrOutside.Msg("position is outside Hebei's jurisdiction; lat/lng look swapped").
		With("nearest_center", unitRef{oe.NearestCenter.Code, oe.NearestCenter.Name}).
		With("hint", HintSwapped).
		Wrap(oe)
}

// HintSwapped is the hint given when lat and lng look swapped.
const HintSwapped = "lat/lng look swapped"

// swappedBBox reports whether (lng, lat) falls in Hebei's bounding box
// (with a margin): Hebei's longitudes, 113–120, are impossible latitudes.
func swappedBBox(lat, lng float64) bool {
	return lat >= 113 && lat <= 120.5 && lng >= 35.5 && lng <= 43
}

// unitRef is a unit's wire form in responses: {"code","name"}.
type unitRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CodeOf returns the stable code of an error from this package ("" for nil).
func CodeOf(err error) string { return apperr.CodeOf(err) }
