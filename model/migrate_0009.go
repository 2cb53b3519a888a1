package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0009 records on each question when it was rejected in review
// (hidden before it was ever published), so that the statistics stop
// counting it as asked. Questions rejected before this step cannot be
// told from ones hidden after publication and keep counting. A nullable
// column with no backfill: instances of the previous version still
// running during a rolling upgrade write rows that stay correct. Frozen:
// do not edit.
func migrate0009(tx *gorm.DB, _ Dialect) error {
	type Question struct {
		RejectedAt *time.Time `gorm:""`
	}
	m := tx.Table("questions").Migrator()
	if m.HasColumn(&Question{}, "RejectedAt") {
		return nil // a resumed step
	}
	if err := m.AddColumn(&Question{}, "RejectedAt"); err != nil {
		return fmt.Errorf("questions.rejected_at: %w", err)
	}
	return nil
}
