package model

import "time"

// The statistics roll-ups (migration 10; kept by service/stats). Days are
// Beijing dates written as integers yyyymmdd.

// StatsDaily is one university's additive figures of one day: what the
// report sums over a period. See service/stats for each figure's meaning.
type StatsDaily struct {
	UniversityID         uint64 `gorm:"primaryKey;autoIncrement:false"`
	Day                  int    `gorm:"primaryKey;autoIncrement:false"`
	NewUsers             int64
	BoundNew             int64 // created that day and bound to a WeChat now
	CadresNew            int64 // created that day and a cadre now
	ActivatedNew         int64 // students now, who activated that day
	Interactions         int64 // pushes of the accounts now bound (all of them)
	Questions            int64
	Answered             int64
	OnTime               int64
	Late                 int64 // as of ComputedAt
	FirstResponseSeconds int64
	RatedGood            int64
	RatedFair            int64
	RatedBad             int64
	CadreAnswers         int64
	Bookings             int64
	BookingsResponded    int64
	BookingsOnTime       int64
	BookingsLate         int64 // as of ComputedAt
	Served               int64
	NoShow               int64
	ServiceRated         int64
	ServiceStars         int64
	ServiceSatisfied     int64
	OpenOverdue          int64 // asked that day, open and past due at ComputedAt
	// The promotion funnel of the followers attributed that day to the
	// university's QR code (migration 21): all of them, those whose
	// WeChat is now bound to an activated account, and those whose
	// account has asked a published question.
	QRFollows     int64 `gorm:"column:qr_follows"`
	QRActivations int64 `gorm:"column:qr_activations"`
	QRAskers      int64 `gorm:"column:qr_askers"`
	// RecheckAt is the earliest deadline still ahead at ComputedAt: when
	// it passes, Late, BookingsLate or OpenOverdue may grow, so the day is
	// recomputed.
	RecheckAt  *time.Time
	ComputedAt time.Time
}

// TableName keeps the table's name singular-free and explicit.
func (StatsDaily) TableName() string { return "stats_daily" }

// StatsUserDay says that an account did something on a day: pushes sent
// through its bound WeChat, events (questions, answers, bookings, booking
// responses) and published cadre answers. PrevDay and PrevAnswerDay are
// the account's previous day with a row (with answers), nil for none.
type StatsUserDay struct {
	UniversityID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	UserID        uint64 `gorm:"primaryKey;autoIncrement:false"`
	Day           int    `gorm:"primaryKey;autoIncrement:false"`
	UserCreatedAt time.Time
	Pushes        int64
	Events        int64
	Answers       int64
	PrevDay       *int
	PrevAnswerDay *int
}

// StatsUserLast is an account's last active and last answering day, and
// the openid its pushes were last attributed through.
type StatsUserLast struct {
	UserID        uint64 `gorm:"primaryKey;autoIncrement:false"`
	UniversityID  uint64
	OpenID        *string `gorm:"column:openid"`
	LastActiveDay *int
	LastAnswerDay *int
}

// TableName: gorm would write stats_user_lasts.
func (StatsUserLast) TableName() string { return "stats_user_last" }

// StatsLastDay counts the accounts of a university whose last active
// (answering) day is Day.
type StatsLastDay struct {
	UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Day          int    `gorm:"primaryKey;autoIncrement:false"`
	Active       int64
	Answering    int64
}

// TableName: gorm would write stats_last_days (kept explicit).
func (StatsLastDay) TableName() string { return "stats_last_days" }

// StatsOpenIDDay is how many pushes one openid sent on one day.
type StatsOpenIDDay struct {
	OpenID string `gorm:"column:openid;primaryKey"`
	Day    int    `gorm:"primaryKey;autoIncrement:false"`
	N      int64
}

// TableName: gorm would write stats_open_id_days.
func (StatsOpenIDDay) TableName() string { return "stats_openid_days" }

// TableName: gorm would write stats_user_days (kept explicit).
func (StatsUserDay) TableName() string { return "stats_user_days" }

// StatsState holds the roll-up builder's lease and watermarks by name.
type StatsState struct {
	Name   string `gorm:"primaryKey"`
	Text   string
	TimeAt *time.Time
}

// TableName: gorm would write stats_states.
func (StatsState) TableName() string { return "stats_state" }
