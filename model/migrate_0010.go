package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrate0010 adds the statistics roll-ups (service/stats/rollup.go) and
// the indexes their builder reads changes through.
//
//   - stats_daily: one row per university and Beijing day with the
//     additive figures of that day, so a period's report sums at most
//     166 × 400 small rows instead of scanning a year of questions.
//   - stats_user_days: who was active on a day (distinct counts are not
//     additive, so they cannot live in stats_daily), with the account's
//     previous active (answering) day: a custom period's active users are
//     its rows whose previous day is before it, one per account, counted
//     without the cost of a COUNT(DISTINCT).
//   - stats_user_last: each account's last active and last answering day:
//     the active users of a period ending today are those whose last day
//     is in it, a count over an index.
//   - stats_last_days: how many accounts of a university have each day as
//     their last active (answering) day, so those counts are a sum of at
//     most 166 × 400 small rows.
//   - stats_openid_days: WeChat pushes per openid and day, so a binding
//     made or undone later re-attributes that openid's past pushes
//     without an index on interactions.openid (the callback's hot table).
//   - stats_state: the builder's lease and watermarks.
//
// Days are Beijing dates as integers yyyymmdd. Frozen: do not edit.
func migrate0010(tx *gorm.DB, _ Dialect) error {
	type StatsDaily struct {
		UniversityID         uint64     `gorm:"primaryKey;autoIncrement:false"`
		Day                  int        `gorm:"primaryKey;autoIncrement:false;index:idx_stats_daily_day"`
		NewUsers             int64      `gorm:"not null;default:0"`
		BoundNew             int64      `gorm:"not null;default:0"`
		CadresNew            int64      `gorm:"not null;default:0"`
		ActivatedNew         int64      `gorm:"not null;default:0"`
		Interactions         int64      `gorm:"not null;default:0"`
		Questions            int64      `gorm:"not null;default:0"`
		Answered             int64      `gorm:"not null;default:0"`
		OnTime               int64      `gorm:"not null;default:0"`
		Late                 int64      `gorm:"not null;default:0"`
		FirstResponseSeconds int64      `gorm:"not null;default:0"`
		RatedGood            int64      `gorm:"not null;default:0"`
		RatedFair            int64      `gorm:"not null;default:0"`
		RatedBad             int64      `gorm:"not null;default:0"`
		CadreAnswers         int64      `gorm:"not null;default:0"`
		Bookings             int64      `gorm:"not null;default:0"`
		BookingsResponded    int64      `gorm:"not null;default:0"`
		BookingsOnTime       int64      `gorm:"not null;default:0"`
		BookingsLate         int64      `gorm:"not null;default:0"`
		Served               int64      `gorm:"not null;default:0"`
		NoShow               int64      `gorm:"not null;default:0"`
		ServiceRated         int64      `gorm:"not null;default:0"`
		ServiceStars         int64      `gorm:"not null;default:0"`
		ServiceSatisfied     int64      `gorm:"not null;default:0"`
		OpenOverdue          int64      `gorm:"not null;default:0"`
		RecheckAt            *time.Time `gorm:"index:idx_stats_daily_recheck"`
		ComputedAt           time.Time  `gorm:"not null"`
	}
	type StatsUserDay struct {
		UniversityID  uint64    `gorm:"primaryKey;autoIncrement:false;index:idx_stats_user_days_day,priority:2"`
		UserID        uint64    `gorm:"primaryKey;autoIncrement:false"`
		Day           int       `gorm:"primaryKey;autoIncrement:false;index:idx_stats_user_days_day,priority:1"`
		UserCreatedAt time.Time `gorm:"not null"`
		Pushes        int64     `gorm:"not null;default:0"`
		Events        int64     `gorm:"not null;default:0"`
		Answers       int64     `gorm:"not null;default:0"`
		PrevDay       *int      `gorm:""`
		PrevAnswerDay *int      `gorm:""`
	}
	type StatsUserLast struct {
		UserID        uint64  `gorm:"primaryKey;autoIncrement:false"`
		UniversityID  uint64  `gorm:"not null;index:idx_stats_user_last_uni,priority:1;index:idx_stats_user_last_active,priority:2;index:idx_stats_user_last_answer,priority:2"`
		OpenID        *string `gorm:"column:openid;size:64"`
		LastActiveDay *int    `gorm:"index:idx_stats_user_last_uni,priority:2;index:idx_stats_user_last_active,priority:1"`
		LastAnswerDay *int    `gorm:"index:idx_stats_user_last_answer,priority:1"`
	}
	type StatsLastDay struct {
		UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
		Day          int    `gorm:"primaryKey;autoIncrement:false"`
		Active       int64  `gorm:"not null;default:0"`
		Answering    int64  `gorm:"not null;default:0"`
	}
	type StatsOpenIDDay struct {
		OpenID string `gorm:"column:openid;size:64;primaryKey;index:idx_stats_openid_days_day,priority:2"`
		Day    int    `gorm:"primaryKey;autoIncrement:false;index:idx_stats_openid_days_day,priority:1"`
		N      int64  `gorm:"not null;default:0"`
	}
	type StatsState struct {
		Name   string     `gorm:"size:32;primaryKey"`
		Text   string     `gorm:"size:128;not null;default:''"`
		TimeAt *time.Time `gorm:""`
	}
	for _, t := range []struct {
		name  string
		model any
	}{
		{"stats_daily", &StatsDaily{}},
		{"stats_user_days", &StatsUserDay{}},
		{"stats_user_last", &StatsUserLast{}},
		{"stats_last_days", &StatsLastDay{}},
		{"stats_openid_days", &StatsOpenIDDay{}},
		{"stats_state", &StatsState{}},
	} {
		// Named explicitly: gorm would call them stats_dailies, stats_user_lasts …
		if err := createTables(tx.Table(t.name), t.model); err != nil {
			return fmt.Errorf("统计汇总表 %s: %w", t.name, err)
		}
	}
	m := tx.Migrator()
	for _, ix := range []struct{ table, name, cols string }{
		// The builder finds what changed since its last pass by updated_at.
		{"users", "idx_users_updated_at", "updated_at"},
		{"questions", "idx_questions_updated_at", "updated_at"},
		{"answers", "idx_answers_updated_at", "updated_at"},
		{"bookings", "idx_bookings_updated_at", "updated_at"},
		// And recomputes one day from these.
		{"users", "idx_users_activated_at", "activated_at"},
		{"answers", "idx_answers_created_at", "created_at"},
		{"bookings", "idx_bookings_first_response_at", "first_response_at"},
	} {
		if m.HasIndex(ix.table, ix.name) {
			continue // a resumed step
		}
		if err := tx.Exec("CREATE INDEX " + ix.name + " ON " + ix.table + " (" + ix.cols + ")").Error; err != nil {
			return fmt.Errorf("%s 索引 %s: %w", ix.table, ix.name, err)
		}
	}
	return nil
}
