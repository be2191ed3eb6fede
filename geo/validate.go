package geo

import (
	"math"
)

// ValidatePosition checks a client-reported WGS-84 position before it is
// stored or routed. Errors (all *apperr.Error): invalid_position for
// NaN/Inf/out-of-range coordinates or a negative, NaN or infinite accuracy
// (0 means unknown); outside_jurisdiction with hint "lat/lng look swapped"
// when lat is out of range but (lng, lat) is in Hebei's bounding box. It
// does not test containment; Router.Route does that exactly.
func ValidatePosition(lat, lng, accuracyM float64) error {
	if err := checkRange(lat, lng); err != nil {
		if swappedBBox(lat, lng) {
			return ErrOutside.Msg("position is outside Hebei's jurisdiction; lat/lng look swapped").With("hint", HintSwapped)
		}
		return err
	}
	if math.IsNaN(accuracyM) || math.IsInf(accuracyM, 0) || accuracyM < 0 {
		return ErrInvalidPosition.Msg("accuracy_m must be a finite number ≥ 0")
	}
	return nil
}
