package main

import (
	"fmt"
	"slices"
	"time"
)

type comparison struct {
	agree         int // same routing decision (county and gap flag, or both outside)
	outsideBoth   int
	nearestAgree  int // of outsideBoth, same nearest county
	disagreements []string
	maxBorderM    float64 // largest distance to a border among routing disagreements
}

// compare lists every disagreement with the point's distance to the nearest
// county border, the expected cause (the two sides differ only in how they
// treat points on or within floating-point reach of a border).
func compare(pts []point, mine, pg []outcome, res *pgResult) comparison {
	var c comparison
	for i := range pts {
		a, b := mine[i], pg[i]
		routing := a.county == b.county && a.gap == b.gap
		if routing {
			c.agree++
		}
		if a.county == "" && b.county == "" {
			c.outsideBoth++
			if a.nearest == b.nearest {
				c.nearestAgree++
			}
		}
		if routing && a.nearest == b.nearest {
			continue
		}
		d, err := res.borderM(pts[i])
		msg := fmt.Sprintf("point %d (WGS-84 %.7f, %.7f): router %+v, PostGIS %+v; nearest border %.2f m", i, pts[i].lat, pts[i].lng, a, b, d)
		if err != nil {
			msg += " (distance query failed: " + err.Error() + ")"
		}
		if !routing {
			c.maxBorderM = max(c.maxBorderM, d)
		}
		c.disagreements = append(c.disagreements, msg)
	}
	return c
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
