package app

import (
	"open110/account"
	"open110/audit"
	"open110/platform/db"
)

// migrations lists every feature's schema in dependency order. A feature
// adds its own line.
func migrations() []db.Migrations {
	return []db.Migrations{
		audit.Migrations(),
		account.Migrations(),
	}
}

// wirings wire each feature onto the node, in order; each lives in its own
// wire_<feature>.go file.
var wirings = []func(*App) error{
	wireGeo,
}
