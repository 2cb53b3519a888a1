package model

import "time"

// UniversityQRCode is a university's permanent parametric QR code of the
// service account (WeChat qrcode/create, QR_LIMIT_STR_SCENE, scene
// "u-<code>"): created once, the first time it is asked for, and kept.
// A row without URL is a creation in progress (ClaimedUntil bounds it:
// an instance that died half way leaves it to the next request).
type UniversityQRCode struct {
	UniversityID uint64     `gorm:"primaryKey;autoIncrement:false"`
	Scene        string     `gorm:"size:64;not null"`
	Ticket       string     `gorm:"size:255;not null;default:''"`
	URL          string     `gorm:"column:url;size:255;not null;default:''"`
	ClaimedUntil *time.Time `gorm:""`
	CreatedAt    time.Time  `gorm:"not null"`
	UpdatedAt    time.Time  `gorm:"not null"`
}

// TableName: gorm would write university_qr_codes.
func (UniversityQRCode) TableName() string { return "university_qrcodes" }

// QRFollow attributes a WeChat follower to the university whose
// promotion QR code they followed through (a subscribe with scene
// qrscene_u-<code>) or, already following, scanned (SCAN u-<code>).
// The first attribution wins and never changes: one row per openid.
// FollowedAt is when the event was received.
type QRFollow struct {
	OpenID       string    `gorm:"column:openid;size:64;primaryKey"`
	UniversityID uint64    `gorm:"not null;index:idx_qr_follows_uni_at,priority:1"`
	Source       string    `gorm:"size:16;not null"` // subscribe or scan
	FollowedAt   time.Time `gorm:"not null;index:idx_qr_follows_uni_at,priority:2;index:idx_qr_follows_at"`
}

// QR follow sources.
const (
	QRSourceSubscribe = "subscribe"
	QRSourceScan      = "scan"
)
