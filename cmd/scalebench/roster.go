package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// The cadre roster (干部名册) of the scale database: every university's
// cadres and station team linked to their accounts (已注册), and a few
// people not registered yet (待注册), about 36 entries per university.
// addRoster writes them with INSERT IGNORE on the roster's unique key
// (university, phone), the phones derived from the account ids, so it is
// idempotent: load runs it, and `scalebench roster` (or run) adds the
// roster to a database loaded before there was one.

// rosterPending is the entries per university without an account.
const rosterPending = 3

// cadrePositions are the 职务 the cadres get in turn, with their category.
var cadrePositions = []struct{ position, category string }{
	{"校团委副书记", model.CategoryLeagueCadre},
	{"校团委组织部部长", model.CategoryLeagueCadre},
	{"二级学院团委书记", model.CategoryCollegeSecretary},
	{"校学生会主席", model.CategoryStudentLeader},
	{"校团委宣传部干事", model.CategoryLeagueCadre},
}

// addRoster adds the missing roster entries and returns how many it
// added.
func addRoster(ctx context.Context, db *model.DB, now time.Time) (int64, error) {
	var people []struct {
		ID           uint64
		UniversityID uint64
		Name         string
		Roles        int
		Category     *string // station_admins.category: 负责人 / 管理员
	}
	if err := db.Conn(ctx).Raw(`SELECT u.id, u.university_id, u.name, u.roles, sa.category
FROM users u LEFT JOIN station_admins sa ON sa.user_id = u.id
WHERE u.university_id IS NOT NULL AND u.roles & ? <> 0 ORDER BY u.university_id, u.id`,
		model.RoleMask(model.RoleCadre, model.RoleStationAdmin)).Scan(&people).Error; err != nil {
		return 0, fmt.Errorf("roster: reading the cadres: %w", err)
	}
	at := now.UTC().Truncate(time.Second)
	var rows []string
	var args []any
	add := func(uni uint64, category, position, name, phone, status string, user *uint64) {
		rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, uni, category, position, clipRunes(name, 20), phone, status, user, "form", at, at)
	}
	seen := map[uint64]int{} // cadres per university so far
	unis := []uint64{}
	for _, p := range people {
		if _, ok := seen[p.UniversityID]; !ok {
			unis = append(unis, p.UniversityID)
		}
		id := p.ID
		switch {
		case p.Category != nil && *p.Category == model.CategoryLead:
			add(p.UniversityID, model.CategoryStationHead, "青年之家站长", p.Name, rosterPhone("139", id), model.RosterRegistered, &id)
		case p.Category != nil:
			add(p.UniversityID, model.CategoryStationAdmin, "青年之家值班干事", p.Name, rosterPhone("139", id), model.RosterRegistered, &id)
		default:
			pos := cadrePositions[seen[p.UniversityID]%len(cadrePositions)]
			seen[p.UniversityID]++
			add(p.UniversityID, pos.category, pos.position, p.Name, rosterPhone("139", id), model.RosterRegistered, &id)
		}
	}
	for _, uni := range unis {
		for i := range rosterPending {
			add(uni, model.CategoryCollegeSecretary, "二级学院团委副书记", fmt.Sprintf("待注册干部%d", i+1),
				rosterPhone("137", uni*10+uint64(i)), model.RosterPending, nil)
		}
	}
	var added int64
	const batch = 500
	for i := 0; i < len(rows); i += batch {
		j := min(i+batch, len(rows))
		res := db.Conn(ctx).Exec("INSERT IGNORE INTO roster_entries (university_id, category, position, real_name, phone, status, user_id, source, created_at, updated_at) VALUES "+
			strings.Join(rows[i:j], ", "), args[i*10:j*10]...)
		if res.Error != nil {
			return added, fmt.Errorf("roster: %w", res.Error)
		}
		added += res.RowsAffected
	}
	return added, nil
}

// rosterPhone is an 11-digit phone: prefix and n.
func rosterPhone(prefix string, n uint64) string { return fmt.Sprintf("%s%08d", prefix, n%100_000_000) }

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// roster adds the roster to the scale database as it is (no reload).
func roster(ctx context.Context, o options) error {
	db, err := model.OpenMySQL(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	n, err := addRoster(ctx, db, time.Now())
	if err != nil {
		return err
	}
	var total int64
	if err := db.Conn(ctx).Table("roster_entries").Count(&total).Error; err != nil {
		return err
	}
	logf("roster: %d entries added, %d in all", n, total)
	return nil
}
