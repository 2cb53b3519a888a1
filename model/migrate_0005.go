package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0005 gives interactions one secondary index, (created_at, openid),
// instead of one on openid and one on created_at. Every push writes a row,
// so every index is paid for on the callback's busiest table; nothing looks
// interactions up by openid alone, and the statistics (the period's rows,
// grouped by openid) read the new index without touching the table.
// The new index is built before the old ones go, so the statistics always
// have one. Frozen: do not edit.
func migrate0005(tx *gorm.DB, d Dialect) error {
	const table = "interactions"
	m := tx.Migrator()
	if !m.HasIndex(table, "idx_interactions_created_openid") {
		if err := tx.Exec("CREATE INDEX idx_interactions_created_openid ON interactions (created_at, openid)").Error; err != nil {
			return fmt.Errorf("interactions 索引: %w", err)
		}
	}
	for _, old := range []string{"idx_interactions_open_id", "idx_interactions_created_at"} {
		if !m.HasIndex(table, old) {
			continue // a resumed step
		}
		ddl := "DROP INDEX " + old
		if d == MySQL {
			ddl += " ON interactions"
		}
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("interactions 索引 %s: %w", old, err)
		}
	}
	return nil
}
