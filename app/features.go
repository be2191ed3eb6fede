package app

import (
	"open110/account"
	"open110/admin/settings"
	"open110/alarm"
	"open110/audit"
	"open110/guardian"
	"open110/missing"
	"open110/platform/db"
	"open110/profile"
	"open110/reward"
	"open110/tip"
)

// migrations lists every feature's schema in dependency order. A feature
// adds its own line.
func migrations() []db.Migrations {
	return []db.Migrations{
		audit.Migrations(),
		account.Migrations(),
		alarm.Migrations(), // read by the admin dashboard and my data; the alarm wiring owns this line
		settings.Migrations(),
		profile.Migrations(),
		tip.Migrations(),
		reward.Migrations(),
		missing.Migrations(),
		guardian.Migrations(),
	}
}

// wirings wire each feature onto the node, in order; each lives in its own
// wire_<feature>.go file.
var wirings = []func(*App) error{
	wireGeo,
	wireAdmin,
	wireTip,
	wireReward,
	wireMissing,
	wireGuardian,
}
