package alarm

import (
	"errors"

	"open110/geo"
)

// GeoRouter adapts geo's router to Router: a position outside Hebei is not
// an error here but a result naming the nearest centre (the alarm is still
// taken, by the province centre).
func GeoRouter(r *geo.Router) Router { return geoRouter{r} }

type geoRouter struct{ r *geo.Router }

func (g geoRouter) Route(lat, lng float64) (RouteResult, error) {
	rt, err := g.r.Route(lat, lng)
	if err != nil {
		var oe *geo.OutsideError
		if errors.As(err, &oe) {
			return RouteResult{Outside: true, Nearest: oe.NearestCenter.Code, NearestM: oe.DistanceM, Reason: oe.Error()}, nil
		}
		return RouteResult{}, err
	}
	return RouteResult{Center: rt.Center.Code, Reason: rt.Reason}, nil
}

func (g geoRouter) OverflowChain(center string) []string { return g.r.OverflowChain(center) }
