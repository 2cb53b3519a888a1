package model

import "time"

// Whom a province notice (省团委通知) is addressed to: every university,
// one construction batch of them (University.Batch), or chosen ones.
const (
	NoticeTargetAll    = "all"
	NoticeTargetBatch  = "batch"
	NoticeTargetChosen = "chosen"
)

// Recipient kinds of a notice: a university admin, or a cadre when the
// notice also goes to the cadres. An account holding both is an admin.
const (
	NoticeRecipientAdmin = "admin"
	NoticeRecipientCadre = "cadre"
)

// Notice is a notice the province admin publishes to universities. The
// attachment's bytes are in NoticeAttachment, so that lists never read
// them; AttachmentName is "" without one. Recipients and ReadCount keep
// the list's counts without reading the receipts.
type Notice struct {
	ID             uint64    `gorm:"primaryKey"`
	Title          string    `gorm:"size:50;not null"`
	Body           string    `gorm:"type:text;not null"`
	Target         string    `gorm:"size:10;not null"`
	Batch          int       `gorm:"not null;default:0"`
	Cadres         bool      `gorm:"not null;default:false"` // the targeted universities' cadres too
	AttachmentName string    `gorm:"size:100;not null;default:''"`
	AttachmentType string    `gorm:"size:100;not null;default:''"`
	AttachmentSize int64     `gorm:"not null;default:0"`
	Recipients     int       `gorm:"not null;default:0"`
	ReadCount      int       `gorm:"not null;default:0"`
	CreatedBy      uint64    `gorm:"not null"`
	CreatedAt      time.Time `gorm:"not null"`
}

// NoticeAttachment is a piece of the file of a notice, in the database:
// one place every instance reads, backed up with the rest (there is no
// file store). The file is cut into pieces (Seq 0, 1 …) so that no
// statement nears MySQL's max_allowed_packet, whatever its setting: the
// driver writes bytes into the statement escaped, up to twice their size.
type NoticeAttachment struct {
	NoticeID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Seq      int    `gorm:"primaryKey;autoIncrement:false"`
	Data     []byte `gorm:"not null"`
}

// NoticeTarget is one university a notice was addressed to, kept even
// when it had nobody to receive it: the province sees that too.
type NoticeTarget struct {
	NoticeID     uint64 `gorm:"primaryKey;autoIncrement:false"`
	UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
}

// NoticeRecipient is one account a notice was sent to, resolved when it
// was published, with its read receipt. The primary key (notice_id, …)
// reads one notice's receipts; idx_notice_recipient_user a person's
// notices, the unread ones first.
type NoticeRecipient struct {
	NoticeID     uint64     `gorm:"primaryKey;autoIncrement:false"`
	UserID       uint64     `gorm:"primaryKey;autoIncrement:false;index:idx_notice_recipient_user,priority:1"`
	UniversityID uint64     `gorm:"not null"`
	Kind         string     `gorm:"size:10;not null"`
	ReadAt       *time.Time `gorm:"index:idx_notice_recipient_user,priority:2"`
	RemindedAt   *time.Time `gorm:""`
}
