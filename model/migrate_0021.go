package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0021 adds the universities' promotion QR codes (issue 22):
//
//   - university_qrcodes: each university's permanent parametric QR code
//     (scene u-<code>), created through WeChat once and kept; the primary
//     key lets one instance only create it.
//   - qr_follows: the follower attributed to a university's code (first
//     attribution wins), by openid; (university_id, followed_at) and
//     (followed_at) serve the statistics' day roll-ups.
//   - stats_daily gains the promotion funnel of the follows of each day:
//     qr_follows, qr_activations, qr_askers.
//
// Frozen: do not edit.
func migrate0021(tx *gorm.DB, d Dialect) error {
	type UniversityQRCode struct {
		UniversityID uint64     `gorm:"primaryKey;autoIncrement:false"`
		Scene        string     `gorm:"size:64;not null"`
		Ticket       string     `gorm:"size:255;not null;default:''"`
		URL          string     `gorm:"column:url;size:255;not null;default:''"`
		ClaimedUntil *time.Time `gorm:""`
		CreatedAt    time.Time  `gorm:"not null"`
		UpdatedAt    time.Time  `gorm:"not null"`
	}
	type QRFollow struct {
		OpenID       string    `gorm:"column:openid;size:64;primaryKey"`
		UniversityID uint64    `gorm:"not null;index:idx_qr_follows_uni_at,priority:1"`
		Source       string    `gorm:"size:16;not null"`
		FollowedAt   time.Time `gorm:"not null;index:idx_qr_follows_uni_at,priority:2;index:idx_qr_follows_at"`
	}
	if err := createTables(tx.Table("university_qrcodes"), &UniversityQRCode{}); err != nil {
		return fmt.Errorf("university_qrcodes: %w", err)
	}
	if err := createTables(tableOptions(tx.Session(&gorm.Session{NewDB: true}), d).Table("qr_follows"), &QRFollow{}); err != nil {
		return fmt.Errorf("qr_follows: %w", err)
	}
	tx = tx.Session(&gorm.Session{NewDB: true})
	m := tx.Migrator()
	for _, col := range []string{"qr_follows", "qr_activations", "qr_askers"} {
		if m.HasColumn("stats_daily", col) {
			continue // a resumed step
		}
		if err := tx.Exec("ALTER TABLE stats_daily ADD COLUMN " + col + " BIGINT NOT NULL DEFAULT 0").Error; err != nil {
			return fmt.Errorf("stats_daily.%s: %w", col, err)
		}
	}
	return nil
}
