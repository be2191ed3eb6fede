package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"open110/platform/db"
)

// Center is a 110 command centre (指挥中心). Every unit of the tree has a
// row; Active says whether it runs its own centre (province and cities
// always do; which counties do is configuration).
type Center struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  string `json:"level"` // province | city | county
	Parent string `json:"parent,omitempty"`
	Active bool   `json:"active"`
	Phone  string `json:"phone,omitempty"`
}

// UnitRow is one unit of the tree to seed centres from (geo.Units gives them).
type UnitRow struct{ Code, Name, Level, Parent string }

// SeedCenters makes sure every unit has a centre row, inserting missing ones
// with active = province or city, or every county too when allCounties.
// Existing rows keep their active flag, except that allCounties (the demo)
// turns every county on.
func (s *Service) SeedCenters(ctx context.Context, units []UnitRow, allCounties bool) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, u := range units {
			active := u.Level != "county" || allCounties
			if _, err := tx.Exec(ctx, `INSERT INTO centers (code, name, level, parent_code, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code`,
				u.Code, CenterName(u.Name, u.Level), u.Level, u.Parent, db.Bool(active), db.Micros(s.now())); err != nil {
				return fmt.Errorf("account: seed centre %s: %w", u.Code, err)
			}
		}
		if allCounties {
			if _, err := tx.Exec(ctx, "UPDATE centers SET active = 1 WHERE level = 'county' AND active = 0"); err != nil {
				return fmt.Errorf("account: activate counties: %w", err)
			}
		}
		return nil
	})
}

// CenterName is a centre's name as callers and officers know it: the
// command centre of the unit's public security bureau (公安局), or of the
// provincial department (公安厅) for the province.
func CenterName(unitName, level string) string {
	if level == "province" {
		return unitName + "公安厅110指挥中心"
	}
	return unitName + "公安局110指挥中心"
}

// ListCenters returns every centre in code order.
func (s *Service) ListCenters(ctx context.Context) ([]Center, error) {
	rows, err := s.db.Query(ctx, "SELECT code, name, level, parent_code, active, phone FROM centers ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("account: list centres: %w", err)
	}
	defer rows.Close()
	var out []Center
	for rows.Next() {
		var c Center
		var active int
		if err := rows.Scan(&c.Code, &c.Name, &c.Level, &c.Parent, &active, &c.Phone); err != nil {
			return nil, fmt.Errorf("account: scan centre: %w", err)
		}
		c.Active = active == 1
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCenter returns one centre. Errors: unknown_center.
func (s *Service) GetCenter(ctx context.Context, code string) (Center, error) {
	var c Center
	var active int
	err := s.db.QueryRow(ctx, "SELECT code, name, level, parent_code, active, phone FROM centers WHERE code = $1", code).
		Scan(&c.Code, &c.Name, &c.Level, &c.Parent, &active, &c.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrUnknownCenter
	}
	if err != nil {
		return c, fmt.Errorf("account: read centre: %w", err)
	}
	c.Active = active == 1
	return c, nil
}

// ActiveCounties returns the codes of counties that run their own centre
// (the routing configuration).
func (s *Service) ActiveCounties(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, "SELECT code FROM centers WHERE level = 'county' AND active = 1")
	if err != nil {
		return nil, fmt.Errorf("account: active counties: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("account: scan county: %w", err)
		}
		out[c] = true
	}
	return out, rows.Err()
}

// DemoPassword is the password of every demo account (DESIGN §6).
const DemoPassword = "open110-demo"

// DemoAccount is one printed demo sign-in.
type DemoAccount struct {
	Username, Role, Center, CenterName string
}

// SeedDemo creates the demo accounts of DESIGN §6: admin, and for every
// active centre C a dispatcher dC and a handler hC, plus a supervisor sC for
// the province and each city. The password is hashed once for all of them
// (hundreds of argon2id hashes would take seconds); existing accounts are
// left as they are.
func (s *Service) SeedDemo(ctx context.Context) ([]DemoAccount, error) {
	centers, err := s.ListCenters(ctx)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(DemoPassword)
	if err != nil {
		return nil, err
	}
	var out []DemoAccount
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		add := func(username string, role Role, c Center, name string) error {
			_, err := s.CreateOfficer(ctx, tx, NewOfficer{Username: username, Name: name, Role: role, Center: c.Code, hash: hash, ifAbsent: true})
			if err != nil {
				return err
			}
			out = append(out, DemoAccount{Username: username, Role: string(role), Center: c.Code, CenterName: c.Name})
			return nil
		}
		for _, c := range centers {
			if !c.Active {
				continue
			}
			if c.Level == "province" {
				if err := add("admin", Admin, c, "省厅管理员"); err != nil {
					return err
				}
			}
			if err := add("d"+c.Code, Dispatcher, c, c.Name+"接警员"); err != nil {
				return err
			}
			if err := add("h"+c.Code, Handler, c, c.Name+"处理民警"); err != nil {
				return err
			}
			if c.Level != "county" {
				if err := add("s"+c.Code, Supervisor, c, c.Name+"值班长"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}
