package model

import "time"

// AuditLog is one record of the audit trail (service/audit): who did what
// to which object, and the hash chaining it to the record before. Rows
// are only ever appended; the retention purge is the one delete.
type AuditLog struct {
	ID           uint64    `gorm:"primaryKey;autoIncrement:false"` // assigned under the head's lock: dense
	At           time.Time `gorm:"not null"`                       // UTC, milliseconds
	ActorID      *uint64   // nil: the system (a timer, a command)
	ActorAccount string    `gorm:"size:32;not null;default:''"`
	ActorName    string    `gorm:"size:50;not null;default:''"`
	ActorRole    string    `gorm:"size:20;not null;default:''"` // the role acted in, at the time
	UniversityID *uint64   // nil: province-wide
	IP           string    `gorm:"column:ip;size:45;not null;default:''"`
	UserAgent    string    `gorm:"size:255;not null;default:''"`
	Action       string    `gorm:"size:40;not null"`
	ObjectType   string    `gorm:"size:30;not null;default:''"`
	ObjectID     string    `gorm:"size:64;not null;default:''"`
	Summary      string    `gorm:"size:500;not null"`
	Detail       string    `gorm:"type:text;not null"` // JSON
	PrevHash     string    `gorm:"size:64;not null"`
	Hash         string    `gorm:"size:64;not null"`
}

// TableName is the table's singular name (the issue's).
func (AuditLog) TableName() string { return "audit_log" }

// AuditHead is the single row (ID 1) holding the chain's end, locked by
// every append, and its anchor: the first kept record and the hash it
// chains to, moved by the retention purge.
type AuditHead struct {
	ID             int    `gorm:"primaryKey;autoIncrement:false"`
	LastID         uint64 `gorm:"not null"`
	LastHash       string `gorm:"size:64;not null"`
	AnchorID       uint64 `gorm:"not null"`
	AnchorPrevHash string `gorm:"size:64;not null"`
}

// TableName is the table's name.
func (AuditHead) TableName() string { return "audit_head" }
