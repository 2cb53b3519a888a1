package model

import (
	"fmt"

	"gorm.io/gorm"
)

// migrate0028 indexes what the retention purges (service/retention) read:
// they delete rows older than a cutoff in small batches, oldest first, and
// each batch must find its rows in an index range, not by scanning the
// table (template_messages and messages grow by every alert sent).
//
//   - template_messages (created_at)
//   - template_send_reports (reported_at)
//   - messages (created_at)
//
// interactions already has (created_at, openid) (migration 5). On MySQL
// InnoDB adds an index online. Frozen: do not edit.
func migrate0028(tx *gorm.DB, _ Dialect) error {
	m := tx.Migrator()
	for _, ix := range []struct{ table, name, cols string }{
		{"template_messages", "idx_template_messages_created", "created_at"},
		{"template_send_reports", "idx_template_send_reports_reported", "reported_at"},
		{"messages", "idx_messages_created", "created_at"},
	} {
		if m.HasIndex(ix.table, ix.name) {
			continue // a resumed step
		}
		if err := tx.Exec("CREATE INDEX " + ix.name + " ON " + ix.table + " (" + ix.cols + ")").Error; err != nil {
			return fmt.Errorf("%s 索引: %w", ix.table, err)
		}
	}
	return nil
}
