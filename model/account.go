package model

import (
	"context"
	"time"
)

// Construction batches of the 青年之家 stations (the notice, 工作任务 3.4).
const (
	BatchUndergraduate     = 1 // 本科（含独立学院）: 4月30日
	BatchPublicVocational  = 2 // 公办专科（高职）: 6月30日
	BatchPrivateVocational = 3 // 民办专科（高职）: 10月30日
)

// University is one Guangdong higher-education institution.
type University struct {
	ID        uint64    `gorm:"primaryKey"`
	Code      string    `gorm:"size:10;not null;uniqueIndex"`
	Name      string    `gorm:"size:100;not null"`
	City      string    `gorm:"size:20;not null"`
	Level     string    `gorm:"size:10;not null"` // 本科 / 专科
	Ownership string    `gorm:"size:10;not null"` // 公办 / 民办
	Note      string    `gorm:"size:100;not null;default:''"`
	Batch     int       `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Entry is an activation entry (入口): 高校 today; 地市, 中学 … later.
type Entry struct {
	ID        uint64 `gorm:"primaryKey"`
	Key       string `gorm:"size:32;not null;uniqueIndex"`
	Name      string `gorm:"size:20;not null"`
	Kind      string `gorm:"size:20;not null"` // "university": pick from universities
	Enabled   bool   `gorm:"not null"`
	SortOrder int    `gorm:"not null;default:0"`
}

// Entry kinds the activation flow knows.
const EntryKindUniversity = "university"

// Roles. Later issues grant the others.
const (
	RoleStudent       = "student"
	RoleCadre         = "cadre"
	RoleStationAdmin  = "station_admin"
	RoleUniversityAdm = "university_admin"
	RoleProvinceAdmin = "province_admin"
)

// RoleName is the Chinese name of a role shown to users.
func RoleName(role string) string {
	switch role {
	case RoleCadre:
		return "团学干部"
	case RoleStationAdmin:
		return "站点管理员"
	case RoleUniversityAdm:
		return "高校团委管理员"
	case RoleProvinceAdmin:
		return "省级管理员"
	}
	return "青年学生"
}

// User is an account on the platform, optionally bound to one WeChat.
type User struct {
	ID           uint64     `gorm:"primaryKey"`
	Account      string     `gorm:"size:32;not null"`
	AccountKey   string     `gorm:"size:32;not null;uniqueIndex"` // lower-cased: unique regardless of case
	PasswordHash string     `gorm:"size:100;not null"`
	Name         string     `gorm:"size:50;not null;default:''"`
	EntryKey     string     `gorm:"size:32;not null;default:''"`
	UniversityID *uint64    `gorm:"index"`
	Role         string     `gorm:"size:20;not null"`
	OpenID       *string    `gorm:"column:openid;size:64;uniqueIndex"`
	BoundAt      *time.Time `gorm:""`
	ActivatedAt  *time.Time `gorm:""`
	LastLoginAt  *time.Time `gorm:""`
	Source       string     `gorm:"size:20;not null;default:''"` // "", "import"
	CreatedAt    time.Time  `gorm:"not null;index"`
	UpdatedAt    time.Time  `gorm:"not null"`
}

// Liaison is a university's 联络专员: a vice-secretary of its league
// committee (a full-time teacher) the province deals with. UserID links
// the account, when the person has one: escalations then reach it too.
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

// LiaisonUsers are the accounts linked as uni's liaison (none or one),
// for the alerts that escalate to the liaison.
func (d *DB) LiaisonUsers(ctx context.Context, uni uint64) ([]User, error) {
	var users []User
	err := d.Conn(ctx).Where("id IN (?)", d.Conn(ctx).Model(&Liaison{}).Select("user_id").
		Where("university_id = ? AND user_id IS NOT NULL", uni)).Find(&users).Error
	return users, err
}
