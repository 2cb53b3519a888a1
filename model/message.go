package model

import "time"

// Message is one alert in a person's 我的消息 list: every alert the
// service sends is stored here for each recipient account, bound to
// WeChat or not, so that an alert WeChat never delivered (template not
// configured, 43101, daily quota spent) is still found. Kind is the
// alert kind's key (alertkind); Title its Chinese name; Summary the
// one-line text built from its values; Fields the values as JSON; Path
// the H5 page it opens. (user_id, id) serves the list newest first by
// keyset, (user_id, read_at) the unread count, (created_at) the
// retention purge.
type Message struct {
	ID        uint64     `gorm:"primaryKey"`
	UserID    uint64     `gorm:"not null;index:idx_messages_user_id,priority:1;index:idx_messages_user_read,priority:1"`
	Kind      string     `gorm:"size:64;not null"`
	Title     string     `gorm:"size:50;not null"`
	Summary   string     `gorm:"size:255;not null;default:''"`
	Fields    string     `gorm:"type:text;not null"`
	Path      string     `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time  `gorm:"not null;index:idx_messages_created"`
	ReadAt    *time.Time `gorm:"index:idx_messages_user_read,priority:2"`
}
