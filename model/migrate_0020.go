package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0020 adds the province's notices (省团委通知): the notice, its
// attachment's bytes in pieces (LONGBLOB on MySQL, BLOB on SQLite), the
// universities it targets and its recipients with their read receipts.
// Frozen: do not edit.
func migrate0020(tx *gorm.DB, _ Dialect) error {
	type Notice struct {
		ID             uint64    `gorm:"primaryKey"`
		Title          string    `gorm:"size:50;not null"`
		Body           string    `gorm:"type:text;not null"`
		Target         string    `gorm:"size:10;not null"`
		Batch          int       `gorm:"not null;default:0"`
		Cadres         bool      `gorm:"not null;default:false"`
		AttachmentName string    `gorm:"size:100;not null;default:''"`
		AttachmentType string    `gorm:"size:100;not null;default:''"`
		AttachmentSize int64     `gorm:"not null;default:0"`
		Recipients     int       `gorm:"not null;default:0"`
		ReadCount      int       `gorm:"not null;default:0"`
		CreatedBy      uint64    `gorm:"not null"`
		CreatedAt      time.Time `gorm:"not null"`
	}
	type NoticeAttachment struct {
		NoticeID uint64 `gorm:"primaryKey;autoIncrement:false"`
		Seq      int    `gorm:"primaryKey;autoIncrement:false"`
		Data     []byte `gorm:"not null"`
	}
	type NoticeTarget struct {
		NoticeID     uint64 `gorm:"primaryKey;autoIncrement:false"`
		UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
	}
	type NoticeRecipient struct {
		NoticeID     uint64     `gorm:"primaryKey;autoIncrement:false"`
		UserID       uint64     `gorm:"primaryKey;autoIncrement:false;index:idx_notice_recipient_user,priority:1"`
		UniversityID uint64     `gorm:"not null"`
		Kind         string     `gorm:"size:10;not null"`
		ReadAt       *time.Time `gorm:"index:idx_notice_recipient_user,priority:2"`
		RemindedAt   *time.Time `gorm:""`
	}
	if err := createTables(tx, &Notice{}, &NoticeAttachment{}, &NoticeTarget{}, &NoticeRecipient{}); err != nil {
		return fmt.Errorf("notices: %w", err)
	}
	return nil
}
