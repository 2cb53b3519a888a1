package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0027 adds the audit trail (issue 24): audit_log, append-only,
// each row carrying the hash of the one before; audit_head, one row, the
// last id and hash (locked by every append, so appends from several
// instances chain in order) and the anchor: where the chain legitimately
// starts once the retention purge removed older rows. The indexes serve
// the browse filters, newest first: (university_id, at), (actor_id, at),
// (action, at), (at); InnoDB appends the primary key, so each also orders
// by (at, id) for the keyset pagination.
// Frozen: do not edit.
func migrate0027(tx *gorm.DB, d Dialect) error {
	type AuditLog struct {
		ID           uint64    `gorm:"primaryKey;autoIncrement:false"`
		At           time.Time `gorm:"not null;index:idx_audit_at;index:idx_audit_uni_at,priority:2;index:idx_audit_actor_at,priority:2;index:idx_audit_action_at,priority:2"`
		ActorID      *uint64   `gorm:"index:idx_audit_actor_at,priority:1"`
		ActorAccount string    `gorm:"size:32;not null;default:''"`
		ActorName    string    `gorm:"size:50;not null;default:''"`
		ActorRole    string    `gorm:"size:20;not null;default:''"`
		UniversityID *uint64   `gorm:"index:idx_audit_uni_at,priority:1"`
		IP           string    `gorm:"column:ip;size:45;not null;default:''"`
		UserAgent    string    `gorm:"size:255;not null;default:''"`
		Action       string    `gorm:"size:40;not null;index:idx_audit_action_at,priority:1"`
		ObjectType   string    `gorm:"size:30;not null;default:''"`
		ObjectID     string    `gorm:"size:64;not null;default:''"`
		Summary      string    `gorm:"size:500;not null"`
		Detail       string    `gorm:"type:text;not null"`
		PrevHash     string    `gorm:"size:64;not null"`
		Hash         string    `gorm:"size:64;not null"`
	}
	type AuditHead struct {
		ID             int    `gorm:"primaryKey;autoIncrement:false"`
		LastID         uint64 `gorm:"not null"`
		LastHash       string `gorm:"size:64;not null"`
		AnchorID       uint64 `gorm:"not null"`
		AnchorPrevHash string `gorm:"size:64;not null"`
	}
	for table, v := range map[string]any{"audit_log": &AuditLog{}, "audit_head": &AuditHead{}} {
		if err := createTables(tx.Table(table), v); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	// The one head row; the empty hash is the genesis.
	if err := tx.Exec(insertIgnore(d) + " INTO audit_head (id, last_id, last_hash, anchor_id, anchor_prev_hash) VALUES (1, 0, '', 0, '')").Error; err != nil {
		return fmt.Errorf("audit_head: %w", err)
	}
	return nil
}
