package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0017 lets an account hold several roles and adds the cadre
// roster (issue 21). Frozen: do not edit.
//
//   - users.roles: the set of roles as bits (cadre 1, station admin 2,
//     university admin 4, province admin 8); each account gets exactly
//     the role it had, so every right is kept. users.role stays, the
//     highest role of the set. (university_id, roles) finds a
//     university's cadres or admins without reading other universities.
//   - roster_entries: the people each university must register, seeded
//     with every account that is a cadre today, from its approved
//     application (the latest per phone), so the roster starts complete.
func migrate0017(tx *gorm.DB, d Dialect) error {
	m := tx.Migrator()
	if !m.HasColumn("users", "roles") {
		if err := tx.Exec("ALTER TABLE users ADD COLUMN roles INT NOT NULL DEFAULT 0").Error; err != nil {
			return fmt.Errorf("users.roles: %w", err)
		}
	}
	if err := tx.Exec(`UPDATE users SET roles = CASE role
  WHEN 'cadre' THEN 1 WHEN 'station_admin' THEN 2 WHEN 'university_admin' THEN 4 WHEN 'province_admin' THEN 8 ELSE 0 END
WHERE role <> 'student'`).Error; err != nil {
		return fmt.Errorf("users.roles: %w", err)
	}
	if !m.HasIndex("users", "idx_user_uni_roles") {
		if err := tx.Exec("CREATE INDEX idx_user_uni_roles ON users (university_id, roles)").Error; err != nil {
			return fmt.Errorf("users 索引: %w", err)
		}
	}
	type RosterEntry struct {
		ID           uint64     `gorm:"primaryKey"`
		UniversityID uint64     `gorm:"not null;uniqueIndex:idx_roster_uni_phone,priority:1;index:idx_roster_uni_status,priority:1"`
		Category     string     `gorm:"size:20;not null"`
		Position     string     `gorm:"size:30;not null"`
		RealName     string     `gorm:"size:20;not null"`
		Phone        string     `gorm:"size:11;not null;uniqueIndex:idx_roster_uni_phone,priority:2"`
		Email        string     `gorm:"size:100;not null;default:''"`
		QQ           string     `gorm:"column:qq;size:12;not null;default:''"`
		WeChatID     string     `gorm:"column:wechat_id;size:20;not null;default:''"`
		Status       string     `gorm:"size:12;not null;index:idx_roster_uni_status,priority:2"`
		UserID       *uint64    `gorm:"index"`
		Source       string     `gorm:"size:12;not null;default:''"`
		LeftReason   string     `gorm:"size:100;not null;default:''"`
		LeftAt       *time.Time `gorm:""`
		CreatedAt    time.Time  `gorm:"not null"`
		UpdatedAt    time.Time  `gorm:"not null"`
	}
	if err := createTables(tableOptions(tx, d), &RosterEntry{}); err != nil {
		return fmt.Errorf("roster_entries: %w", err)
	}
	// tx carries the table options (MySQL) in a shared statement; the
	// queries below each start from a clean one.
	tx = tx.Session(&gorm.Session{NewDB: true})
	var n int64
	if err := tx.Table("roster_entries").Count(&n).Error; err != nil || n > 0 {
		return err // a resumed step: seeded already
	}
	type app struct {
		UserID                           uint64
		UniversityID                     uint64
		Position, RealName, Phone, Email string
		QQ                               string `gorm:"column:qq"`
		WeChatID                         string `gorm:"column:wechat_id"`
		DecidedAt                        *time.Time
	}
	var apps []app
	if err := tx.Raw(`SELECT a.user_id, a.university_id, a.position, a.real_name, a.phone, a.email, a.qq, a.wechat_id, a.decided_at
FROM cadre_applications a JOIN users u ON u.id = a.user_id
WHERE a.status = 'approved' AND u.role = 'cadre' ORDER BY a.id DESC`).Scan(&apps).Error; err != nil {
		return fmt.Errorf("roster_entries: %w", err)
	}
	type key struct {
		uni   uint64
		phone string
	}
	seen := map[key]bool{}
	users := map[uint64]bool{}
	now := time.Now().UTC()
	var rows []RosterEntry
	for _, a := range apps {
		k := key{a.UniversityID, a.Phone}
		if seen[k] || users[a.UserID] {
			continue
		}
		seen[k], users[a.UserID] = true, true
		uid, at := a.UserID, now
		if a.DecidedAt != nil {
			at = *a.DecidedAt
		}
		rows = append(rows, RosterEntry{UniversityID: a.UniversityID, Category: "league", Position: clip(a.Position, 30),
			RealName: clip(a.RealName, 20), Phone: a.Phone, Email: a.Email, QQ: clip(a.QQ, 12), WeChatID: clip(a.WeChatID, 20),
			Status: "registered", UserID: &uid, Source: "application", CreatedAt: at, UpdatedAt: at})
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("roster_entries: %w", err)
		}
	}
	return nil
}

// clip cuts s to n characters (the application's fields were wider).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
