package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0026 adds what privacy needs (issue 23):
//
//   - users.display_name: the name other people see (显示名称); empty
//     means the default 某某同学, so existing accounts need no backfill.
//   - users.closed_at: when the person closed (注销) the account.
//
// Frozen: do not edit.
func migrate0026(tx *gorm.DB, d Dialect) error {
	m := tx.Migrator()
	timeType := "DATETIME"
	if d == MySQL {
		timeType = "DATETIME(3)" // gorm's type for time.Time on MySQL
	}
	cols := []struct{ name, def string }{
		{"display_name", "VARCHAR(20) NOT NULL DEFAULT ''"},
		{"closed_at", timeType + " NULL"},
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
