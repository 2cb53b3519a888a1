package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0015 records on each template message when the POST of its
// first attempt whose outcome is unknown began (written before the POST):
// a sender killed after WeChat accepted a message but before it stored
// the msgid leaves it behind, so the next sender knows the message may
// have been delivered, and re-sends it only while WeChat drops a repeat
// of its client_msg_id (else marks it 状态未知). A nullable column with no
// backfill: rows of the previous version never have an unknown outcome
// recorded. Frozen: do not edit.
func migrate0015(tx *gorm.DB, _ Dialect) error {
	type TemplateMessage struct {
		AttemptStartedAt *time.Time `gorm:""`
	}
	m := tx.Table("template_messages").Migrator()
	if m.HasColumn(&TemplateMessage{}, "AttemptStartedAt") {
		return nil // a resumed step
	}
	if err := m.AddColumn(&TemplateMessage{}, "AttemptStartedAt"); err != nil {
		return fmt.Errorf("template_messages.attempt_started_at: %w", err)
	}
	return nil
}
