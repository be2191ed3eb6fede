package app

import (
	"open110/account"
	"open110/admin/settings"
	"open110/alarm"
	"open110/audit"
	"open110/guardian"
	"open110/media"
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
		alarm.Migrations(),
		media.Migrations(),
		settings.Migrations(),
		profile.Migrations(),
		tip.Migrations(),
		reward.Migrations(),
		missing.Migrations(),
		guardian.Migrations(),
	}
}

// wirings wire each feature onto the node, in order (a feature comes after
// the ones it uses: media, admin and guardian use alarms; features read
// settings); each lives in its own wire_<feature>.go file.
var wirings = []func(*App) error{
	wireGeo,
	wireSettings,
	wireAlarm,
	wireMedia,
	wireAdmin,
	wireGuardian,
	wireTip,
	wireReward,
	wireMissing,
	wireRuntime, // after every feature it tunes: applies the run-time settings
	wireWeb,     // last: its "/" catches every path no feature claims
}
