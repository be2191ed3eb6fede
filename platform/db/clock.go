package db

import "time"

// nowUTC is the wall clock for bookkeeping columns owned by this package
// (migration times). Features inject their own clocks.
func nowUTC() time.Time { return time.Now().UTC() }
