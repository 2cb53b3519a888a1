package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0024 adds what password changes and resets need (issue 23).
// Frozen: do not edit.
//
//   - users.password_changed_at: the last change or reset; sessions that
//     began before it no longer sign the account in, so a change ends the
//     account's other sessions (the session store cannot list a user's
//     sessions).
//   - users.must_change_password: a temporary password issued by an
//     admin; until it is changed the account may do nothing else.
func migrate0024(tx *gorm.DB, d Dialect) error {
	m := tx.Migrator()
	timeType := "DATETIME"
	if d == MySQL {
		timeType = "DATETIME(3)" // gorm's type for time.Time on MySQL
	}
	cols := []struct{ name, def string }{
		{"password_changed_at", timeType + " NULL"},
		{"must_change_password", "BOOLEAN NOT NULL DEFAULT FALSE"},
	}
	for _, c := range cols {
		if m.HasColumn("users", c.name) {
			continue
		}
		if err := tx.Exec("ALTER TABLE users ADD COLUMN " + c.name + " " + c.def).Error; err != nil {
			return fmt.Errorf("users.%s: %w", c.name, err)
		}
	}
	return nil
}
