package account

import (
	"embed"
	"io/fs"

	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema for centres, citizens, officers, codes and sessions.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "account", FS: sub}
}
