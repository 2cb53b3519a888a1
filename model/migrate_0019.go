package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0019 adds the universities' onboarding (issue 22 item 2): each
// university's launch date and the day it first operated normally, and a
// table of settings the province sets (the cadres a university must
// register). Frozen: do not edit.
//
// A university that already has a university admin is given as launch
// date the Beijing date of its earliest admin's activation (their
// creation, if never activated): the appointment itself was not recorded,
// so this is an approximation, shown as such (launch_source migration);
// the province may correct it. Its reminder and late alert are marked
// sent when that date is more than 30 days back: those universities went
// live long before onboarding was tracked, and the province is not
// flooded with alerts about them on the day of the upgrade.
func migrate0019(tx *gorm.DB, d Dialect) error {
	type UniversityOnboarding struct {
		UniversityID  uint64     `gorm:"primaryKey;autoIncrement:false"`
		LaunchedOn    string     `gorm:"size:10;not null"`
		LaunchSource  string     `gorm:"size:12;not null;default:''"`
		OperatingOn   *string    `gorm:"size:10"`
		RemindedAt    *time.Time `gorm:""`
		LateAlertedAt *time.Time `gorm:""`
		UpdatedBy     uint64     `gorm:"not null;default:0"`
		UpdatedAt     time.Time  `gorm:"not null"`
	}
	type Setting struct {
		Name      string    `gorm:"primaryKey;size:40"`
		Value     string    `gorm:"size:200;not null"`
		UpdatedBy uint64    `gorm:"not null;default:0"`
		UpdatedAt time.Time `gorm:"not null"`
	}
	// The frozen types cannot name their tables (no methods on local
	// types): each is created under its name.
	for name, v := range map[string]any{"university_onboarding": &UniversityOnboarding{}, "settings": &Setting{}} {
		if err := createTables(tableOptions(tx, d).Table(name), v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	tx = tx.Session(&gorm.Session{NewDB: true})
	type admin struct {
		UniversityID uint64
		ActivatedAt  *time.Time
		CreatedAt    time.Time
	}
	var admins []admin
	// roles bit 4 is the university admin (migration 17).
	if err := tx.Raw(`SELECT university_id, activated_at, created_at FROM users
WHERE university_id IS NOT NULL AND roles & 4 <> 0`).Scan(&admins).Error; err != nil {
		return fmt.Errorf("university_onboarding: %w", err)
	}
	first := map[uint64]time.Time{}
	for _, a := range admins {
		at := a.CreatedAt
		if a.ActivatedAt != nil {
			at = *a.ActivatedAt
		}
		if f, ok := first[a.UniversityID]; !ok || at.Before(f) {
			first[a.UniversityID] = at
		}
	}
	beijing := time.FixedZone("CST", 8*3600)
	now := time.Now().UTC()
	for uni, at := range first {
		row := UniversityOnboarding{UniversityID: uni, LaunchedOn: at.In(beijing).Format(time.DateOnly),
			LaunchSource: "migration", UpdatedAt: now}
		if now.Sub(at) > 30*24*time.Hour {
			row.RemindedAt, row.LateAlertedAt = &now, &now
		}
		var n int64
		if err := tx.Table("university_onboarding").Where("university_id = ?", uni).Count(&n).Error; err != nil {
			return fmt.Errorf("university_onboarding: %w", err)
		}
		if n > 0 {
			continue // a resumed step
		}
		if err := tx.Table("university_onboarding").Create(&row).Error; err != nil {
			return fmt.Errorf("university_onboarding: %w", err)
		}
	}
	return nil
}
