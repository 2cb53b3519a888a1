package model

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one frozen schema step. Up must only use types declared in
// its own file: the live models change, a step never does.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB, d Dialect) error
}

// migrations is the ordered history of the schema. Append only.
var migrations = []migration{
	{1, "followers, interactions, template messages", migrate0001},
	{2, "universities (166 seeded), entries, users", migrate0002},
	{3, "cadre applications, boards, questions, answers, outbox claims", migrate0003},
	{4, "stations, station admins, bookings, service kinds", migrate0004},
	{5, "interactions: one index (created_at, openid)", migrate0005},
	{6, "followers: time of the event that set the state", migrate0006},
	{7, "bookings: indexes for the reminder sweeps", migrate0007},
	{8, "template_messages: index for the recent configuration errors", migrate0008},
	{9, "questions: time a question held for review was rejected", migrate0009},
	{10, "statistics roll-ups and the indexes their builder reads", migrate0010},
	{11, "report_heartbeats: how fresh a read replica is", migrate0011},
	{12, "question_search: full-text index (Mroonga on MariaDB, FTS5 on SQLite)", migrate0012},
	{13, "indexes for board pages, sweeps, the overdue view and alert recipients", migrate0013},
	{14, "question_open_counts: open questions per university, for the overdue view", migrate0014},
	{15, "template_messages: when the attempt that may have reached WeChat began", migrate0015},
	{16, "liaisons: each university's 联络专员", migrate0016},
	{17, "users.roles: several roles per account; roster_entries: the cadres each university registers", migrate0017},
	{18, "indexes for the per-cadre assessment: answers by author and period, bookings by handler", migrate0018},
	{19, "university_onboarding: launch dates and normal operation; settings", migrate0019},
	{20, "notices: the province's notices, their targets, recipients and read receipts", migrate0020},
	{21, "promotion QR codes: university_qrcodes, qr_follows, the funnel in stats_daily", migrate0021},
	{22, "同问 and 有用: question_metoos, answer_helpfuls, their counts, the board index by 同问", migrate0022},
	{23, "messages: every alert a person is sent, for 我的消息", migrate0023},
	{24, "users: password_changed_at and must_change_password, for password changes and resets", migrate0024},
	{25, "post_images: photos on questions and answers", migrate0025},
	{26, "users: display_name and closed_at, for display names and closing an account (注销)", migrate0026},
	{27, "audit_log and audit_head: the tamper-evident audit trail", migrate0027},
	{28, "indexes for the retention purges: template_messages, template_send_reports and messages by time", migrate0028},
}

// schemaMigration records an applied step.
type schemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:200;not null"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// Versions lists the steps' versions in order. Steps of parallel work
// take numbers ahead, so the list may have gaps until all are merged.
func Versions() []int {
	vs := make([]int, len(migrations))
	for i, m := range migrations {
		vs[i] = m.version
	}
	return vs
}

// LatestVersion is the schema version this binary expects.
func LatestVersion() int { return migrations[len(migrations)-1].version }

// tableOptions gives MySQL tables InnoDB and utf8mb4.
func tableOptions(tx *gorm.DB, d Dialect) *gorm.DB {
	if d == MySQL {
		return tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
	}
	return tx
}

// Migrate applies every pending step and returns the versions it applied.
// Several instances may start at once: on MySQL a named lock serialises
// them, and each step is recorded before the lock is released, so a step
// is never applied twice.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	var applied []int
	err := d.gorm.WithContext(ctx).Connection(func(pinned *gorm.DB) error {
		// Every statement starts from a clean session on the pinned
		// connection (the named lock belongs to that connection).
		conn := pinned.Session(&gorm.Session{NewDB: true})
		unlock, err := d.lockMigrations(ctx, conn)
		if err != nil {
			return err
		}
		defer unlock()
		if err := tableOptions(conn, d.dialect).Migrator().AutoMigrate(&schemaMigration{}); err != nil {
			return fmt.Errorf("创建 schema_migrations 表失败: %w", err)
		}
		var done []int
		if err := conn.Model(&schemaMigration{}).Pluck("version", &done).Error; err != nil {
			return fmt.Errorf("读取迁移记录失败: %w", err)
		}
		have := map[int]bool{}
		for _, v := range done {
			have[v] = true
		}
		for _, v := range done {
			if v > LatestVersion() {
				return fmt.Errorf("数据库结构版本 %d 比本程序支持的 %d 新：请升级程序", v, LatestVersion())
			}
		}
		for _, m := range migrations {
			if have[m.version] {
				continue
			}
			if err := d.applyStep(conn, m); err != nil {
				return err
			}
			applied = append(applied, m.version)
		}
		return nil
	})
	return applied, err
}

func (d *DB) applyStep(conn *gorm.DB, m migration) error {
	step := func(tx *gorm.DB) error {
		tx = tx.Session(&gorm.Session{NewDB: true})
		if err := m.up(tableOptions(tx, d.dialect), d.dialect); err != nil {
			return fmt.Errorf("迁移 %04d（%s）失败: %w", m.version, m.name, err)
		}
		return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UTC()}).Error
	}
	// SQLite runs DDL inside a transaction, so a failed step leaves nothing
	// behind. MySQL commits DDL implicitly; the lock keeps steps exclusive.
	if d.dialect == SQLite {
		return conn.Transaction(step)
	}
	return step(conn)
}

// lockMigrations takes a cluster-wide lock on MySQL (GET_LOCK is held by
// this connection) and is a no-op on SQLite, which has a single process.
func (d *DB) lockMigrations(ctx context.Context, conn *gorm.DB) (func(), error) {
	if d.dialect != MySQL {
		return func() {}, nil
	}
	var got sql.NullInt64
	if err := conn.Raw("SELECT GET_LOCK(?, ?)", "youthvoice_migrate", 120).Scan(&got).Error; err != nil {
		return nil, fmt.Errorf("获取迁移锁失败: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("120 秒内未能获取迁移锁：另一个实例正在迁移，请稍后重试")
	}
	return func() {
		conn.WithContext(context.WithoutCancel(ctx)).Exec("SELECT RELEASE_LOCK(?)", "youthvoice_migrate")
	}, nil
}

// Steps are written so that one interrupted half way can run again. On
// MySQL every DDL statement commits at once, so a step that failed or was
// killed after its first CREATE TABLE is not recorded but has left tables
// behind; run again, it must pass over what exists instead of failing on
// it for ever. So steps create tables and indexes only when missing and
// seed rows with INSERT … IGNORE on their unique keys. (SQLite runs a step
// in one transaction, where this never arises.)

// createTables creates those of the frozen models' tables that do not
// exist yet. A table is created by one statement, indexes included, so it
// exists whole or not at all.
func createTables(tx *gorm.DB, models ...any) error {
	m := tx.Migrator()
	for _, v := range models {
		if m.HasTable(v) {
			continue
		}
		if err := m.CreateTable(v); err != nil {
			return err
		}
	}
	return nil
}

// insertIgnore starts an INSERT that skips rows whose unique key exists.
func insertIgnore(d Dialect) string {
	if d == MySQL {
		return "INSERT IGNORE"
	}
	return "INSERT OR IGNORE"
}

// AppliedVersions lists the recorded schema versions, oldest first.
func (d *DB) AppliedVersions(ctx context.Context) ([]int, error) {
	var vs []int
	err := d.Conn(ctx).Model(&schemaMigration{}).Order("version").Pluck("version", &vs).Error
	return vs, err
}
