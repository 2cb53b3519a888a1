package model

import "time"

// Station is a university's 青年之家 service station (one per university).
// Hours and ClosedDates are JSON (see service/station.Calendar).
type Station struct {
	ID           uint64 `gorm:"primaryKey"`
	UniversityID uint64 `gorm:"not null;uniqueIndex"`
	Name         string `gorm:"size:60;not null"`
	Building     string `gorm:"size:60;not null;default:''"`
	Room         string `gorm:"size:30;not null;default:''"`
	Address      string `gorm:"size:120;not null;default:''"`
	Directions   string `gorm:"size:300;not null;default:''"`
	// The notice's requirements (工作任务 3.2).
	HasOffice      bool       `gorm:"not null;default:false"` // 固定办公场所
	HasPlaque      bool       `gorm:"not null;default:false"` // 门口挂牌
	HasComputer    bool       `gorm:"not null;default:false"` // 至少一台联网电脑
	HasServicePost bool       `gorm:"not null;default:false"` // 青年之声服务岗及宣传资料
	Services       string     `gorm:"type:text;not null"`     // JSON array of service names
	Hours          string     `gorm:"type:text;not null"`     // JSON weekly hours
	ClosedDates    string     `gorm:"type:text;not null"`     // JSON closed dates
	SlotMinutes    int        `gorm:"not null;default:60"`
	SlotCapacity   int        `gorm:"not null;default:0"` // 0: no limit
	BuiltAt        *time.Time `gorm:""`                   // confirmed 建成 by the province
	BuiltBy        *uint64    `gorm:""`
	CreatedAt      time.Time  `gorm:"not null"`
	UpdatedAt      time.Time  `gorm:"not null"`
}

// Station admin categories (附件1, second table: 类别).
const (
	CategoryLead  = "负责人"
	CategoryAdmin = "管理员"
)

// StationAdmin is a member of a station's team. DutyDays is a bit set of
// weekdays (bit 0 Sunday … bit 6 Saturday) the member is on duty.
type StationAdmin struct {
	ID        uint64    `gorm:"primaryKey"`
	StationID uint64    `gorm:"not null;uniqueIndex:idx_station_admin_user,priority:1"`
	UserID    uint64    `gorm:"not null;uniqueIndex:idx_station_admin_user,priority:2;index"`
	Category  string    `gorm:"size:10;not null"` // 负责人 / 管理员
	RealName  string    `gorm:"size:50;not null"`
	Position  string    `gorm:"size:50;not null;default:''"`
	Phone     string    `gorm:"size:11;not null"`
	QQ        string    `gorm:"column:qq;size:15;not null;default:''"`
	WeChatID  string    `gorm:"column:wechat_id;size:40;not null;default:''"`
	DutyDays  int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Booking statuses.
const (
	BookingSubmitted = "submitted"
	BookingAccepted  = "accepted"
	BookingDeclined  = "declined"
	BookingProposed  = "proposed" // the station proposed another time
	BookingCancelled = "cancelled"
	BookingServed    = "served"
	BookingNoShow    = "no_show"
)

// Booking is a student's request for an offline service at a station.
type Booking struct {
	ID                    uint64     `gorm:"primaryKey"`
	StationID             uint64     `gorm:"not null;index:idx_booking_station_status,priority:1;index:idx_booking_slot,priority:1"`
	UniversityID          uint64     `gorm:"not null;index"`
	StudentID             uint64     `gorm:"not null;index"`
	Service               string     `gorm:"size:30;not null"`
	SlotStart             *time.Time `gorm:"index:idx_booking_slot,priority:2"` // nil: any time, contact me
	SlotEnd               *time.Time `gorm:""`
	ContactPhone          string     `gorm:"size:11;not null"`
	Description           string     `gorm:"size:1000;not null;default:''"`
	QuestionID            *uint64    `gorm:"index"` // referral (转介) from a question
	ReferredBy            *uint64    `gorm:""`
	Status                string     `gorm:"size:16;not null;index:idx_booking_station_status,priority:2;index:idx_booking_status_remind,priority:1;index:idx_booking_status_confirmed,priority:1"`
	ConfirmedAt           *time.Time `gorm:"index:idx_booking_status_confirmed,priority:2"` // the appointment's time once accepted
	Place                 string     `gorm:"size:100;not null;default:''"`
	Note                  string     `gorm:"size:300;not null;default:''"`
	DeclineReason         string     `gorm:"size:200;not null;default:''"`
	Alternatives          string     `gorm:"size:200;not null;default:''"`
	ProposedAt            *time.Time `gorm:""`                                              // another time the station proposed
	HandledBy             *uint64    `gorm:"index:idx_booking_handler_response,priority:1"` // the admin who responded
	Result                string     `gorm:"size:1000;not null;default:''"`
	FollowUp              bool       `gorm:"not null;default:false"`
	Rating                int        `gorm:"not null;default:0"` // 1–5 stars, 0 unrated
	RatingComment         string     `gorm:"size:200;not null;default:''"`
	InHours               bool       `gorm:"not null"` // submitted within working hours
	DueAt                 time.Time  `gorm:"not null;index"`
	RemindAt              time.Time  `gorm:"not null;index:idx_booking_status_remind,priority:2"`
	FirstResponseAt       *time.Time `gorm:"index:idx_booking_handler_response,priority:2"`
	FirstResponseS        *int64     `gorm:"column:first_response_seconds"`
	PromiseKept           *bool      `gorm:""`
	RemindedAt            *time.Time `gorm:""`
	EscalatedAt           *time.Time `gorm:""`
	AppointmentRemindedAt *time.Time `gorm:""`
	ServedAt              *time.Time `gorm:""`
	CreatedAt             time.Time  `gorm:"not null;index"`
	UpdatedAt             time.Time  `gorm:"not null"`
}

// ServiceKind is a service stations may offer (心理咨询, 学业辅导 …).
type ServiceKind struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:30;not null;uniqueIndex"`
	SortOrder int    `gorm:"not null;default:0"`
}
