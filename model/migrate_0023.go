package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0023 adds messages (我的消息): every alert sent, one row per
// recipient account, with its read time. idx_messages_user_id (user_id,
// id) reads a person's list newest first from a cursor;
// idx_messages_user_read (user_id, read_at) counts the unread.
// Frozen: do not edit.
func migrate0023(tx *gorm.DB, _ Dialect) error {
	type Message struct {
		ID        uint64     `gorm:"primaryKey"`
		UserID    uint64     `gorm:"not null;index:idx_messages_user_id,priority:1;index:idx_messages_user_read,priority:1"`
		Kind      string     `gorm:"size:64;not null"`
		Title     string     `gorm:"size:50;not null"`
		Summary   string     `gorm:"size:255;not null;default:''"`
		Fields    string     `gorm:"type:text;not null"`
		Path      string     `gorm:"size:255;not null;default:''"`
		CreatedAt time.Time  `gorm:"not null"`
		ReadAt    *time.Time `gorm:"index:idx_messages_user_read,priority:2"`
	}
	if err := createTables(tx, &Message{}); err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	return nil
}
