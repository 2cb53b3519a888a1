package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0006 records on each follower the CreateTime of the subscribe or
// unsubscribe event that set its state, so that an older event delivered
// late cannot undo a newer one. Frozen: do not edit.
func migrate0006(tx *gorm.DB, _ Dialect) error {
	type Follower struct {
		StatusEventAt *time.Time `gorm:""`
	}
	m := tx.Table("followers").Migrator()
	if m.HasColumn(&Follower{}, "StatusEventAt") {
		return nil // a resumed step
	}
	if err := m.AddColumn(&Follower{}, "StatusEventAt"); err != nil {
		return fmt.Errorf("followers.status_event_at: %w", err)
	}
	return nil
}
