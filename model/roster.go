package model

import "time"

// Categories of a roster entry: the people the notice says must register
// (附件1 table 1) and the station's team (table 2).
const (
	CategoryLeagueCadre      = "league"         // 专兼职团干
	CategoryCollegeSecretary = "college"        // 二级院系团委书记
	CategoryStudentLeader    = "student_leader" // 校级学生骨干
	CategoryStationHead      = "station_head"   // 服务站负责人 (table 2)
	CategoryStationAdmin     = "station_admin"  // 服务站管理员 (table 2)
)

// Categories lists the categories in the order the roster shows them.
var Categories = []string{CategoryLeagueCadre, CategoryCollegeSecretary, CategoryStudentLeader, CategoryStationHead, CategoryStationAdmin}

// CategoryName is the Chinese name of a roster category.
func CategoryName(c string) string {
	switch c {
	case CategoryLeagueCadre:
		return "专兼职团干"
	case CategoryCollegeSecretary:
		return "二级院系团委书记"
	case CategoryStudentLeader:
		return "校级学生骨干"
	case CategoryStationHead:
		return "服务站负责人"
	case CategoryStationAdmin:
		return "服务站管理员"
	}
	return c
}

// Roster statuses.
const (
	RosterPending    = "pending"    // 待注册: listed, no approved account linked yet
	RosterRegistered = "registered" // 已注册
	RosterLeft       = "left"       // 已离任: kept, with its history
)

// RosterStatusName is the Chinese name of a roster status.
func RosterStatusName(s string) string {
	switch s {
	case RosterPending:
		return "待注册"
	case RosterRegistered:
		return "已注册"
	case RosterLeft:
		return "已离任"
	}
	return s
}

// RosterEntry is one person a university must register (附件1): listed
// by its office (imported or typed), or created when an application is
// approved. UserID links the approved account; the phone links it
// automatically. One entry per phone per university.
type RosterEntry struct {
	ID           uint64     `gorm:"primaryKey"`
	UniversityID uint64     `gorm:"not null;uniqueIndex:idx_roster_uni_phone,priority:1;index:idx_roster_uni_status,priority:1"`
	Category     string     `gorm:"size:20;not null"`
	Position     string     `gorm:"size:30;not null"` // 职务
	RealName     string     `gorm:"size:20;not null"` // 姓名
	Phone        string     `gorm:"size:11;not null;uniqueIndex:idx_roster_uni_phone,priority:2"`
	Email        string     `gorm:"size:100;not null;default:''"`
	QQ           string     `gorm:"column:qq;size:12;not null;default:''"`
	WeChatID     string     `gorm:"column:wechat_id;size:20;not null;default:''"`
	Status       string     `gorm:"size:12;not null;index:idx_roster_uni_status,priority:2"`
	UserID       *uint64    `gorm:"index"`
	Source       string     `gorm:"size:12;not null;default:''"` // form (附件1), manual, application
	LeftReason   string     `gorm:"size:100;not null;default:''"`
	LeftAt       *time.Time `gorm:""`
	CreatedAt    time.Time  `gorm:"not null"`
	UpdatedAt    time.Time  `gorm:"not null"`
}

// TableName keeps the table's name singular-free and explicit.
func (RosterEntry) TableName() string { return "roster_entries" }
