package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0016 adds the universities' liaisons (联络专员): one per
// university, named by its admin or the province. Frozen: do not edit.
func migrate0016(tx *gorm.DB, _ Dialect) error {
	type Liaison struct {
		UniversityID uint64    `gorm:"primaryKey;autoIncrement:false"`
		RealName     string    `gorm:"size:20;not null"`
		Position     string    `gorm:"size:30;not null"`
		Phone        string    `gorm:"size:11;not null"`
		Email        string    `gorm:"size:100;not null;default:''"`
		UserID       *uint64   `gorm:"index"`
		UpdatedBy    uint64    `gorm:"not null"`
		UpdatedAt    time.Time `gorm:"not null"`
	}
	if err := createTables(tx, &Liaison{}); err != nil {
		return fmt.Errorf("liaisons: %w", err)
	}
	return nil
}
