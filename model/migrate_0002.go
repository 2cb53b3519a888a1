package model

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The Ministry of Education's 2025 list of Guangdong's 166 institutions,
// frozen with this step. Later changes go through `youthvoice campus import`.
//
//go:embed seed/gd_universities_2025.csv
var seedUniversities2025 []byte

// migrate0002 creates universities, entries and users, and seeds the 166
// universities and the 高校 entry. Frozen: do not edit.
func migrate0002(tx *gorm.DB, _ Dialect) error {
	type University struct {
		ID        uint64    `gorm:"primaryKey"`
		Code      string    `gorm:"size:10;not null;uniqueIndex"`
		Name      string    `gorm:"size:100;not null"`
		City      string    `gorm:"size:20;not null"`
		Level     string    `gorm:"size:10;not null"`
		Ownership string    `gorm:"size:10;not null"`
		Note      string    `gorm:"size:100;not null;default:''"`
		Batch     int       `gorm:"not null"`
		CreatedAt time.Time `gorm:"not null"`
		UpdatedAt time.Time `gorm:"not null"`
	}
	type Entry struct {
		ID        uint64 `gorm:"primaryKey"`
		Key       string `gorm:"size:32;not null;uniqueIndex"`
		Name      string `gorm:"size:20;not null"`
		Kind      string `gorm:"size:20;not null"`
		Enabled   bool   `gorm:"not null"`
		SortOrder int    `gorm:"not null;default:0"`
	}
	type User struct {
		ID           uint64     `gorm:"primaryKey"`
		Account      string     `gorm:"size:32;not null"`
		AccountKey   string     `gorm:"size:32;not null;uniqueIndex"`
		PasswordHash string     `gorm:"size:100;not null"`
		Name         string     `gorm:"size:50;not null;default:''"`
		EntryKey     string     `gorm:"size:32;not null;default:''"`
		UniversityID *uint64    `gorm:"index"`
		Role         string     `gorm:"size:20;not null"`
		OpenID       *string    `gorm:"column:openid;size:64;uniqueIndex"`
		BoundAt      *time.Time `gorm:""`
		ActivatedAt  *time.Time `gorm:""`
		LastLoginAt  *time.Time `gorm:""`
		Source       string     `gorm:"size:20;not null;default:''"`
		CreatedAt    time.Time  `gorm:"not null;index"`
		UpdatedAt    time.Time  `gorm:"not null"`
	}
	if err := createTables(tx, &University{}, &Entry{}, &User{}); err != nil {
		return err
	}
	rows, err := csv.NewReader(bytes.NewReader(seedUniversities2025)).ReadAll()
	if err != nil {
		return fmt.Errorf("读取高校种子数据: %w", err)
	}
	now := time.Now().UTC()
	var unis []University
	for _, r := range rows[1:] {
		u := University{Code: r[0], Name: r[1], City: r[2], Level: r[3], Ownership: r[4], Note: r[5], CreatedAt: now, UpdatedAt: now}
		switch {
		case u.Level == "本科":
			u.Batch = 1
		case u.Ownership == "民办":
			u.Batch = 3
		default:
			u.Batch = 2
		}
		unis = append(unis, u)
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(unis, 100).Error; err != nil {
		return err
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create([]Entry{
		{Key: "gaoxiao", Name: "高校", Kind: "university", Enabled: true, SortOrder: 1},
		{Key: "dishi", Name: "地市", Kind: "city", Enabled: false, SortOrder: 2},
		{Key: "zhongxue", Name: "中学", Kind: "school", Enabled: false, SortOrder: 3},
	}).Error
}
