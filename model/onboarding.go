package model

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// How a university's launch date was set.
const (
	LaunchByProvince    = "province"    // the province admin set it
	LaunchByAppointment = "appointment" // the day its first university admin was appointed
	LaunchByMigration   = "migration"   // approximated from its earliest admin's activation (migration 19)
)

// UniversityOnboarding is a university's going live (上线): the row exists
// once it has a launch date. Dates are Beijing civil dates, YYYY-MM-DD.
// OperatingOn is the day all the checklist items were first seen met and
// is kept from then on; RemindedAt and LateAlertedAt record that the
// reminder of the 3rd working day and the province's late alert went out,
// each at most once per university.
type UniversityOnboarding struct {
	UniversityID  uint64     `gorm:"primaryKey;autoIncrement:false"`
	LaunchedOn    string     `gorm:"size:10;not null"`
	LaunchSource  string     `gorm:"size:12;not null;default:''"`
	OperatingOn   *string    `gorm:"size:10"`
	RemindedAt    *time.Time `gorm:""`
	LateAlertedAt *time.Time `gorm:""`
	UpdatedBy     uint64     `gorm:"not null;default:0"` // 0: set by the system
	UpdatedAt     time.Time  `gorm:"not null"`
}

// TableName is singular: one row per university.
func (UniversityOnboarding) TableName() string { return "university_onboarding" }

// Setting is one value the province admin sets (settings.name is its key).
type Setting struct {
	Name      string    `gorm:"primaryKey;size:40"`
	Value     string    `gorm:"size:200;not null"`
	UpdatedBy uint64    `gorm:"not null;default:0"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Setting names.
const SettingMinCadres = "onboarding.min_cadres"

// DefaultLaunch gives university uni the launch date on (YYYY-MM-DD) when
// it has none: the appointment of its first admin calls it in its own
// transaction. A date already set (by the province, or an earlier
// appointment) stays.
func (d *DB) DefaultLaunch(ctx context.Context, uni uint64, on string, now time.Time) error {
	return d.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&UniversityOnboarding{
		UniversityID: uni, LaunchedOn: on, LaunchSource: LaunchByAppointment, UpdatedAt: now,
	}).Error
}
