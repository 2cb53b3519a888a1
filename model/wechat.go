package model

import "time"

// Follower is a WeChat user who follows (or once followed) the account.
type Follower struct {
	ID             uint64     `gorm:"primaryKey"`
	OpenID         string     `gorm:"column:openid;size:64;not null;uniqueIndex"`
	Subscribed     bool       `gorm:"not null"`
	SceneKey       string     `gorm:"size:128;not null;default:''"`
	SubscribedAt   *time.Time `gorm:""`
	UnsubscribedAt *time.Time `gorm:""`
	// StatusEventAt is WeChat's CreateTime of the subscribe or unsubscribe
	// event that set Subscribed: an older event delivered later is ignored.
	StatusEventAt *time.Time `gorm:""`
	CreatedAt     time.Time  `gorm:"not null"`
	UpdatedAt     time.Time  `gorm:"not null"`
}

// Interaction records one inbound message or event, for the assessment
// statistics (who, what, when).
type Interaction struct {
	ID        uint64    `gorm:"primaryKey"`
	OpenID    string    `gorm:"column:openid;size:64;not null;index:idx_interactions_created_openid,priority:2"`
	MsgType   string    `gorm:"size:32;not null"`
	Event     string    `gorm:"size:64;not null;default:''"`
	EventKey  string    `gorm:"size:255;not null;default:''"`
	Content   string    `gorm:"size:600;not null;default:''"`
	MsgID     int64     `gorm:"not null;default:0"`
	SentAt    time.Time `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null;index:idx_interactions_created_openid,priority:1"`
}

// Template message statuses (our side of the send).
const (
	TemplatePending       = "pending"
	TemplateSent          = "sent"
	TemplateFailed        = "failed"
	TemplateUndeliverable = "undeliverable"
	// TemplateUnknown (状态未知): an attempt may have reached WeChat, but
	// its outcome was never stored, and WeChat would no longer drop a
	// repeat: sending it again could deliver it twice, so it is not sent.
	TemplateUnknown = "unknown"
)

// TemplateMessage is one template message we send (or will send).
// DeliveryStatus is WeChat's final word from TEMPLATESENDJOBFINISH.
type TemplateMessage struct {
	ID             uint64     `gorm:"primaryKey"`
	OpenID         string     `gorm:"column:openid;size:64;not null;index"`
	TemplateKey    string     `gorm:"size:64;not null"`
	TemplateID     string     `gorm:"size:128;not null"`
	URL            string     `gorm:"column:url;size:1024;not null;default:''"`
	Data           string     `gorm:"type:text;not null"`
	Status         string     `gorm:"size:16;not null;index:idx_template_status_next,priority:1"`
	Attempts       int        `gorm:"not null;default:0"`
	NextAttemptAt  time.Time  `gorm:"not null;index:idx_template_status_next,priority:2"`
	LastErrCode    int        `gorm:"not null;default:0"`
	LastError      string     `gorm:"size:500;not null;default:''"`
	MsgID          int64      `gorm:"not null;default:0;index"`
	DeliveryStatus string     `gorm:"size:64;not null;default:''"`
	DeliveredAt    *time.Time `gorm:""`
	// ClaimedBy and ClaimedUntil mark a row a sender is working on.
	ClaimedBy    string     `gorm:"size:64;not null;default:''"`
	ClaimedUntil *time.Time `gorm:""`
	// AttemptStartedAt is when the POST of the first attempt whose outcome
	// is unknown began (set before the POST; NULL when every attempt so far
	// got WeChat's answer or never left): while it is set, the message may
	// have been delivered already.
	AttemptStartedAt *time.Time `gorm:""`
	// ConfigError flags 40037/47003: a template id or field mapping is wrong.
	ConfigError bool      `gorm:"not null;default:false;index:idx_template_config_error,priority:1"`
	CreatedAt   time.Time `gorm:"not null;index:idx_template_messages_created"`
	UpdatedAt   time.Time `gorm:"not null;index:idx_template_config_error,priority:2"`
}

// TemplateSendReport is WeChat's TEMPLATESENDJOBFINISH push, kept by MsgID
// even when it arrives before the send result was stored.
type TemplateSendReport struct {
	MsgID      int64     `gorm:"primaryKey;autoIncrement:false"`
	OpenID     string    `gorm:"column:openid;size:64;not null"`
	Status     string    `gorm:"size:64;not null"`
	ReportedAt time.Time `gorm:"not null;index:idx_template_send_reports_reported"`
}
