package model_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// allVersions is the history, ordered (with the gaps of steps numbered
// ahead by parallel work).
func allVersions() []int {
	vs := model.Versions()
	if !slices.IsSorted(vs) || vs[0] != 1 || vs[len(vs)-1] != model.LatestVersion() {
		panic(fmt.Sprintf("migration versions %v are not ordered from 1", vs))
	}
	return vs
}

// fresh opens an empty, unmigrated database per backend.
func eachFresh(t *testing.T, fn func(t *testing.T, db *model.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := model.OpenSQLite(filepath.Join(t.TempDir(), "sub", "yv.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		fn(t, db)
	})
	if os.Getenv(dbtest.EnvMySQL) != "" {
		t.Run("mysql", func(t *testing.T) {
			db, err := model.OpenMySQL(context.Background(), dbtest.NewMySQLDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			fn(t, db)
		})
	}
}

type migrationRow struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func recorded(t *testing.T, db *model.DB) []migrationRow {
	t.Helper()
	var rows []migrationRow
	if err := db.Conn(context.Background()).Raw("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").
		Scan(&rows).Error; err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return rows
}

func TestMigrateAppliesEachVersionOnce(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		start := time.Now().Add(-time.Minute)
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if !slices.Equal(applied, allVersions()) {
			t.Fatalf("applied %v, want %v", applied, allVersions())
		}
		rows := recorded(t, db)
		if len(rows) != len(allVersions()) {
			t.Fatalf("schema_migrations has %d rows, want %d: %+v", len(rows), len(allVersions()), rows)
		}
		for i, r := range rows {
			if r.Version != allVersions()[i] || r.Name == "" || r.AppliedAt.Before(start) {
				t.Errorf("row %d = %+v", i, r)
			}
		}
		vs, err := db.AppliedVersions(ctx)
		if err != nil || !slices.Equal(vs, allVersions()) {
			t.Fatalf("AppliedVersions = %v, %v", vs, err)
		}

		again, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if len(again) != 0 {
			t.Fatalf("second Migrate applied %v, want nothing", again)
		}
		if n := len(recorded(t, db)); n != len(allVersions()) {
			t.Fatalf("schema_migrations has %d rows after a second run", n)
		}
	})
}

// The migrations must produce exactly the columns the live models use:
// a model field without a migration (or the reverse) fails here.
func TestMigratedTablesAndColumns(t *testing.T) {
	models := []any{&model.Follower{}, &model.Interaction{}, &model.TemplateMessage{}, &model.TemplateSendReport{},
		&model.University{}, &model.Entry{}, &model.User{}, &model.CadreApplication{}, &model.Board{},
		&model.Question{}, &model.Answer{}, &model.Station{}, &model.StationAdmin{}, &model.Booking{}, &model.ServiceKind{}, &model.QuestionOpenCount{}, &model.Liaison{}, &model.RosterEntry{},
		&model.UniversityOnboarding{}, &model.Setting{},
		&model.Notice{}, &model.NoticeAttachment{}, &model.NoticeTarget{}, &model.NoticeRecipient{},
		&model.UniversityQRCode{}, &model.QRFollow{}, &model.StatsDaily{},
		&model.QuestionMetoo{}, &model.AnswerHelpful{}, &model.Message{}, &model.PostImage{}, &model.AuditLog{}, &model.AuditHead{}}
	want := map[string][]string{"schema_migrations": {"version", "name", "applied_at"}}
	for _, mdl := range models {
		sch, err := schema.Parse(mdl, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		want[sch.Table] = sch.DBNames
	}
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		m := db.Conn(context.Background()).Migrator()
		for table, cols := range want {
			if !m.HasTable(table) {
				t.Errorf("table %s missing", table)
				continue
			}
			types, err := m.ColumnTypes(table)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ct := range types {
				got = append(got, ct.Name())
			}
			slices.Sort(got)
			w := slices.Clone(cols)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("%s columns = %v, want %v", table, got, w)
			}
		}
	})
}

// hasUniqueOpenID checks uniqueness the way a user would notice: a second
// row with the same openid is refused.
func hasUniqueOpenID(t *testing.T, db *model.DB) bool {
	t.Helper()
	c := db.Conn(context.Background())
	now := time.Now().UTC()
	ins := "INSERT INTO followers (openid, subscribed, scene_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
	if err := c.Exec(ins, "oDup", true, "", now, now).Error; err != nil {
		t.Fatalf("insert follower: %v", err)
	}
	return c.Exec(ins, "oDup", true, "", now, now).Error != nil
}

func TestFollowerOpenIDUnique(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		if !hasUniqueOpenID(t, db) {
			t.Fatal("a second follower with the same openid was accepted")
		}
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		newer := model.LatestVersion() + 1
		if err := db.Conn(ctx).Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			newer, "from a newer release", time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		applied, err := db.Migrate(ctx)
		if err == nil {
			t.Fatalf("Migrate on a schema from a newer release succeeded (applied %v)", applied)
		}
		for _, frag := range []string{"数据库结构版本", strconv.Itoa(newer), strconv.Itoa(model.LatestVersion()), "请升级程序"} {
			if !strings.Contains(err.Error(), frag) {
				t.Errorf("error %q does not mention %q", err, frag)
			}
		}
	})
}

// A database whose only record is newer (e.g. restored from a newer
// release's dump) is refused before anything is applied.
func TestMigrateRefusesNewerSchemaBeforeApplying(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		c := db.Conn(ctx)
		if err := c.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at DATETIME NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		if err := c.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)",
			model.LatestVersion()+5, time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "请升级程序") {
			t.Fatalf("Migrate: %v, want the upgrade error", err)
		}
		if c.Migrator().HasTable("followers") {
			t.Fatal("Migrate created tables on a database it refused")
		}
	})
}

// A step interrupted half way (on MySQL each DDL statement commits at
// once: the step's first tables exist, the rest and its record do not)
// runs again at the next start, without failing on what exists and
// without seeding twice.
func TestMigrateResumesInterruptedSteps(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		c := db.Conn(ctx)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		seeded := []string{"universities", "entries", "boards", "service_kinds"}
		count := func(table string) int64 {
			var n int64
			if err := c.Table(table).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := map[string]int64{}
		for _, table := range seeded {
			before[table] = count(table)
		}
		// Each step's last table is gone, and no step is recorded.
		for _, table := range []string{"template_send_reports", "users", "answers", "service_kinds"} {
			if err := c.Migrator().DropTable(table); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Exec("DELETE FROM schema_migrations").Error; err != nil {
			t.Fatal(err)
		}
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("resuming the interrupted steps: %v", err)
		}
		if !slices.Equal(applied, allVersions()) {
			t.Fatalf("applied %v, want %v", applied, allVersions())
		}
		for _, table := range seeded {
			if n := count(table); n != before[table] || n == 0 {
				t.Errorf("%s has %d rows after resuming, want %d as before", table, n, before[table])
			}
		}
		for _, table := range []string{"template_send_reports", "users", "answers"} {
			if !c.Migrator().HasTable(table) {
				t.Errorf("table %s not recreated", table)
			}
		}
		if got := recorded(t, db); len(got) != len(allVersions()) {
			t.Fatalf("%d steps recorded, want %d", len(got), len(allVersions()))
		}
	})
}

func TestMySQLTablesAreInnoDBUTF8MB4(t *testing.T) {
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skipf("%s not set", dbtest.EnvMySQL)
	}
	db := dbtest.MySQL(t)
	ctx := context.Background()
	c := db.Conn(ctx)
	var tables []struct {
		TableName      string `gorm:"column:TABLE_NAME"`
		Engine         string `gorm:"column:ENGINE"`
		TableCollation string `gorm:"column:TABLE_COLLATION"`
	}
	if err := c.Raw("SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").
		Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 5 {
		t.Fatalf("only %d tables: %+v", len(tables), tables)
	}
	for _, tb := range tables {
		engine := "InnoDB"
		if tb.TableName == "question_search" {
			engine = "Mroonga" // the search index on MariaDB (migrate0012)
		}
		if tb.Engine != engine || !strings.HasPrefix(tb.TableCollation, "utf8mb4_") {
			t.Errorf("table %s: engine %s collation %s, want %s utf8mb4", tb.TableName, tb.Engine, tb.TableCollation, engine)
		}
	}
	var cols []struct {
		TableName  string `gorm:"column:TABLE_NAME"`
		ColumnName string `gorm:"column:COLUMN_NAME"`
		Charset    string `gorm:"column:CHARACTER_SET_NAME"`
	}
	if err := c.Raw("SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL").
		Scan(&cols).Error; err != nil {
		t.Fatal(err)
	}
	if len(cols) == 0 {
		t.Fatal("no text columns found")
	}
	for _, col := range cols {
		if col.Charset != "utf8mb4" {
			t.Errorf("%s.%s has charset %s, want utf8mb4", col.TableName, col.ColumnName, col.Charset)
		}
	}

	// A 4-byte emoji and Chinese survive a round trip.
	const scene = "qrscene_青年之家😀🎉"
	now := time.Now().UTC()
	if err := c.Exec("INSERT INTO followers (openid, subscribed, scene_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		"oEmoji", true, scene, now, now).Error; err != nil {
		t.Fatalf("insert emoji scene key: %v", err)
	}
	var got string
	if err := c.Raw("SELECT scene_key FROM followers WHERE openid = ?", "oEmoji").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got != scene {
		t.Fatalf("scene_key round trip = %q, want %q", got, scene)
	}
}

func TestMySQLConcurrentMigrate(t *testing.T) {
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skipf("%s not set", dbtest.EnvMySQL)
	}
	dsn := dbtest.NewMySQLDatabase(t)
	ctx := context.Background()
	const instances = 5
	dbs := make([]*model.DB, instances)
	for i := range dbs {
		db, err := model.OpenMySQL(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	var wg sync.WaitGroup
	applied := make([][]int, instances)
	errs := make([]error, instances)
	startGun := make(chan struct{})
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGun
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	close(startGun)
	wg.Wait()
	var all []int
	for i := range dbs {
		if errs[i] != nil {
			t.Errorf("instance %d: Migrate: %v", i, errs[i])
		}
		all = append(all, applied[i]...)
	}
	slices.Sort(all)
	if !slices.Equal(all, allVersions()) {
		t.Fatalf("versions applied across instances = %v, want each of %v exactly once", all, allVersions())
	}
	rows := recorded(t, dbs[0])
	if len(rows) != len(allVersions()) {
		t.Fatalf("schema_migrations = %+v, want each version once", rows)
	}
	for i, r := range rows {
		if r.Version != allVersions()[i] {
			t.Fatalf("schema_migrations = %+v", rows)
		}
	}
}

func TestOpenSQLiteCreatesDataDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "yv.db")
	db, err := model.OpenSQLite(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != model.SQLite {
		t.Fatalf("dialect %s", db.Dialect())
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

// interactions, written on every push, keeps one secondary index: the
// statistics' (created_at, openid). Step 5 replaces the two of step 1 and
// resumes when it was interrupted between building the new one and
// dropping the old ones.
// secondaryIndexes maps table's secondary indexes to their columns.
func secondaryIndexes(t *testing.T, db *model.DB, table string) map[string][]string {
	t.Helper()
	idx, err := db.Conn(context.Background()).Migrator().GetIndexes(table)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, ix := range idx {
		if pk, _ := ix.PrimaryKey(); pk || ix.Name() == "PRIMARY" {
			continue
		}
		got[ix.Name()] = ix.Columns()
	}
	return got
}

func TestInteractionsIndexes(t *testing.T) {
	secondary := func(t *testing.T, db *model.DB) map[string][]string {
		t.Helper()
		return secondaryIndexes(t, db, "interactions")
	}
	want := map[string][]string{"idx_interactions_created_openid": {"created_at", "openid"}}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := secondary(t, db); !reflect.DeepEqual(got, want) {
			t.Fatalf("interactions indexes = %v, want %v", got, want)
		}
		// Interrupted: the old indexes are still there, step 5 unrecorded.
		c := db.Conn(ctx)
		for _, ddl := range []string{
			"CREATE INDEX idx_interactions_open_id ON interactions (openid)",
			"CREATE INDEX idx_interactions_created_at ON interactions (created_at)",
			"DELETE FROM schema_migrations WHERE version = 5",
		} {
			if err := c.Exec(ddl).Error; err != nil {
				t.Fatal(err)
			}
		}
		applied, err := db.Migrate(ctx)
		if err != nil || !slices.Equal(applied, []int{5}) {
			t.Fatalf("resuming step 5: applied %v, %v", applied, err)
		}
		if got := secondary(t, db); !reflect.DeepEqual(got, want) {
			t.Fatalf("after resuming, interactions indexes = %v, want %v", got, want)
		}
	})
}

// The booking sweeps' indexes exist after migrating, and an interrupted
// step 7 (one index built, the step unrecorded) resumes. Step 13 replaced
// step 7's (status, remind_at).
func TestBookingSweepIndexes(t *testing.T) {
	want := map[string][]string{
		"idx_booking_status_confirmed": {"status", "confirmed_at"},
		"idx_booking_remind_sweep":     {"status", "reminded_at", "remind_at"},
		"idx_booking_escalate_sweep":   {"status", "escalated_at", "due_at"},
	}
	check := func(t *testing.T, db *model.DB) {
		t.Helper()
		got := secondaryIndexes(t, db, "bookings")
		if _, ok := got["idx_booking_status_remind"]; ok {
			t.Fatalf("bookings still have step 7's idx_booking_status_remind: %v", got)
		}
		maps.DeleteFunc(got, func(name string, _ []string) bool { _, ok := want[name]; return !ok })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("bookings sweep indexes = %v, want %v", got, want)
		}
	}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, db)
		drop := "DROP INDEX idx_booking_status_confirmed"
		if db.Dialect() == model.MySQL {
			drop += " ON bookings"
		}
		for _, ddl := range []string{drop, "DELETE FROM schema_migrations WHERE version IN (7, 13)"} {
			if err := db.Conn(ctx).Exec(ddl).Error; err != nil {
				t.Fatal(err)
			}
		}
		applied, err := db.Migrate(ctx)
		if err != nil || !slices.Equal(applied, []int{7, 13}) {
			t.Fatalf("resuming steps 7 and 13: applied %v, %v", applied, err)
		}
		check(t, db)
	})
}

// The outbox's configuration-error index exists after migrating, and the
// admin page's query uses it on MySQL (it read the whole table before).
func TestTemplateConfigErrorIndex(t *testing.T) {
	want := []string{"config_error", "updated_at"}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := secondaryIndexes(t, db, "template_messages")["idx_template_config_error"]; !slices.Equal(got, want) {
			t.Fatalf("idx_template_config_error = %v, want %v", got, want)
		}
		if db.Dialect() != model.MySQL {
			return
		}
		var plan []map[string]any
		if err := db.Conn(ctx).Raw("EXPLAIN SELECT template_key, COUNT(*) FROM template_messages WHERE config_error = ? AND updated_at >= ? GROUP BY template_key",
			true, time.Now().UTC()).Scan(&plan).Error; err != nil {
			t.Fatal(err)
		}
		if len(plan) != 1 || plan[0]["key"] == nil || fmt.Sprint(plan[0]["type"]) == "ALL" {
			t.Fatalf("EXPLAIN: %v, want the query to use an index", plan)
		}
	})
}

// Step 13's indexes: the lists, sweeps, overdue view and role lookups
// each have theirs, the indexes they replace are gone, an interrupted
// step resumes, and on MySQL the sweeps use theirs even on empty tables
// (the lists and role lookups only pick theirs once the tables hold rows).
func TestListAndSweepIndexes(t *testing.T) {
	want := map[string]map[string][]string{
		"questions": {
			"idx_question_board_created":  {"board_id", "created_at", "id", "status"},
			"idx_question_board_list":     {"board_id", "status", "created_at", "id"},
			"idx_question_board_answered": {"board_id", "first_answered_at"},
			"idx_question_asker_list":     {"asker_id", "created_at", "id"},
			"idx_question_remind_sweep":   {"status", "reminded_at", "due_at"},
			"idx_question_overdue_sweep":  {"status", "overdue_at", "due_at"},
			"idx_question_status_due":     {"status", "due_at", "id", "university_id"},
			"idx_question_university_due": {"university_id", "status", "due_at", "id"},
		},
		"users": {"idx_user_role": {"role", "university_id"}},
	}
	gone := map[string][]string{"questions": {"idx_question_board_status", "idx_questions_asker_id"}}
	check := func(t *testing.T, db *model.DB) {
		t.Helper()
		for table, ixs := range want {
			got := secondaryIndexes(t, db, table)
			for name, cols := range ixs {
				if !slices.Equal(got[name], cols) {
					t.Errorf("%s.%s = %v, want %v", table, name, got[name], cols)
				}
			}
			for _, name := range gone[table] {
				if _, ok := got[name]; ok {
					t.Errorf("%s still has %s", table, name)
				}
			}
		}
	}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, db)
		// Interrupted on SQLite's terms (MySQL's ALTER TABLE is atomic):
		// the old index back, one new one missing, the step unrecorded.
		c := db.Conn(ctx)
		drop := "DROP INDEX idx_question_remind_sweep"
		if db.Dialect() == model.MySQL {
			drop += " ON questions"
		}
		for _, ddl := range []string{drop, "CREATE INDEX idx_question_board_status ON questions (board_id, status)",
			"DELETE FROM schema_migrations WHERE version = 13"} {
			if err := c.Exec(ddl).Error; err != nil {
				t.Fatal(err)
			}
		}
		if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{13}) {
			t.Fatalf("resuming step 13: applied %v, %v", applied, err)
		}
		check(t, db)
		if db.Dialect() != model.MySQL {
			return
		}
		now := time.Now().UTC()
		for query, index := range map[string]string{
			"SELECT id FROM questions WHERE reminded_at IS NULL AND status = 'open' AND due_at <= ? ORDER BY due_at, id LIMIT 100":           "idx_question_remind_sweep",
			"SELECT id FROM questions WHERE overdue_at IS NULL AND status = 'open' AND due_at <= ? ORDER BY due_at, id LIMIT 100":            "idx_question_overdue_sweep",
			"SELECT id FROM bookings WHERE reminded_at IS NULL AND status = 'submitted' AND remind_at <= ? ORDER BY remind_at, id LIMIT 100": "idx_booking_remind_sweep",
			"SELECT id FROM bookings WHERE escalated_at IS NULL AND status = 'submitted' AND due_at <= ? ORDER BY due_at, id LIMIT 100":      "idx_booking_escalate_sweep",
		} {
			var plan []map[string]any
			if err := c.Raw("EXPLAIN "+query, now).Scan(&plan).Error; err != nil {
				t.Fatal(err)
			}
			if len(plan) != 1 || fmt.Sprint(plan[0]["key"]) != index {
				t.Errorf("EXPLAIN %s: %v, want %s", query, plan, index)
			}
		}
	})
}

// Step 14 counts the open questions already there, per university, and
// is safe to run again (it recounts rather than adds).
func TestOpenCountsMigration(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		c := db.Conn(ctx)
		now := time.Now().UTC()
		for i, st := range []string{model.QuestionOpen, model.QuestionOpen, model.QuestionAnswered, model.QuestionOpen, model.QuestionHidden} {
			uni := uint64(1 + i%2)
			q := model.Question{BoardID: 1, UniversityID: uni, AskerID: 1, Title: "问题", Status: st, DueAt: now, CreatedAt: now, UpdatedAt: now}
			if err := c.Create(&q).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Exec("DELETE FROM schema_migrations WHERE version = 14").Error; err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{14}) {
				t.Fatalf("step 14: applied %v, %v", applied, err)
			}
			var got []model.QuestionOpenCount
			if err := c.Order("university_id").Find(&got).Error; err != nil {
				t.Fatal(err)
			}
			want := []model.QuestionOpenCount{{UniversityID: 1, OpenCount: 1}, {UniversityID: 2, OpenCount: 2}}
			if !slices.Equal(got, want) {
				t.Fatalf("open counts %+v, want %+v", got, want)
			}
			if err := c.Exec("DELETE FROM schema_migrations WHERE version = 14").Error; err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Step 17 keeps every account's rights exactly: each account's set holds
// the one role it had (and nothing for students), so every check that
// asks Has answers as the old role did; and each cadre of today is on the
// roster as 已注册, from its latest approved application, once.
func TestRolesMigrationKeepsRights(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		c := db.Conn(ctx)
		now := time.Now().UTC()
		uni := uint64(1)
		roles := []string{model.RoleStudent, model.RoleCadre, model.RoleStationAdmin, model.RoleUniversityAdm, model.RoleProvinceAdmin, model.RoleCadre}
		ids := make([]uint64, len(roles))
		for i, r := range roles {
			acct := fmt.Sprintf("mig17user%d", i)
			u := model.User{Account: acct, AccountKey: acct, PasswordHash: "x", Role: r, UniversityID: &uni, CreatedAt: now, UpdatedAt: now}
			if err := c.Create(&u).Error; err != nil {
				t.Fatal(err)
			}
			ids[i] = u.ID
		}
		// As the rows were before step 17: a role, no set.
		if err := c.Exec("UPDATE users SET roles = 0").Error; err != nil {
			t.Fatal(err)
		}
		app := func(user uint64, phone, status string) {
			a := model.CadreApplication{UserID: user, UniversityID: uni, Position: "校团委副书记", RealName: "李雷", Phone: phone,
				Status: status, CreatedAt: now, UpdatedAt: now}
			if err := c.Create(&a).Error; err != nil {
				t.Fatal(err)
			}
		}
		app(ids[1], "13800000001", model.ApplicationApproved)
		app(ids[1], "13800000002", model.ApplicationApproved) // the latest counts
		app(ids[5], "13800000005", model.ApplicationRejected) // a cadre made by hand: no application approved
		app(ids[0], "13800000009", model.ApplicationApproved) // a student again since: not on the roster
		if err := c.Exec("DELETE FROM roster_entries").Error; err != nil {
			t.Fatal(err)
		}
		for range 2 { // and once more, as a resumed step
			if err := c.Exec("DELETE FROM schema_migrations WHERE version = 17").Error; err != nil {
				t.Fatal(err)
			}
			if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{17}) {
				t.Fatalf("step 17: applied %v, %v", applied, err)
			}
		}
		for i, r := range roles {
			var u model.User
			if err := c.Take(&u, ids[i]).Error; err != nil {
				t.Fatal(err)
			}
			if u.Roles != model.RoleBit(r) || u.Role != r {
				t.Errorf("%s: roles %b, role %q after step 17; want exactly %s", r, u.Roles, u.Role, r)
			}
			for _, other := range []string{model.RoleCadre, model.RoleStationAdmin, model.RoleUniversityAdm, model.RoleProvinceAdmin} {
				if u.Has(other) != (other == r) {
					t.Errorf("account that was %s: Has(%s) = %v", r, other, u.Has(other))
				}
			}
		}
		var roster []model.RosterEntry
		if err := c.Find(&roster).Error; err != nil {
			t.Fatal(err)
		}
		if len(roster) != 1 || roster[0].Phone != "13800000002" || roster[0].Status != model.RosterRegistered ||
			roster[0].UserID == nil || *roster[0].UserID != ids[1] {
			t.Fatalf("roster after step 17 = %+v; want the approved cadre once, 已注册, with its latest phone", roster)
		}
	})
}

// Step 18's indexes for the per-cadre assessment: answers by author and
// time, covering what the assessment reads (replacing author alone), bookings by handler and response time;
// an interrupted step (the old index back, the step unrecorded) resumes.
func TestCadreAssessmentIndexes(t *testing.T) {
	check := func(t *testing.T, db *model.DB) {
		t.Helper()
		answers := secondaryIndexes(t, db, "answers")
		if got := answers["idx_answer_author_created"]; !slices.Equal(got, []string{"author_id", "created_at", "kind", "status", "question_id", "updated_at"}) {
			t.Errorf("answers.idx_answer_author_created = %v", got)
		}
		if _, ok := answers["idx_answers_author_id"]; ok {
			t.Errorf("answers still have idx_answers_author_id: %v", answers)
		}
		if got := secondaryIndexes(t, db, "bookings")["idx_booking_handler_response"]; !slices.Equal(got, []string{"handled_by", "first_response_at"}) {
			t.Errorf("bookings.idx_booking_handler_response = %v", got)
		}
	}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, db)
		for _, ddl := range []string{"CREATE INDEX idx_answers_author_id ON answers (author_id)",
			"DELETE FROM schema_migrations WHERE version = 18"} {
			if err := db.Conn(ctx).Exec(ddl).Error; err != nil {
				t.Fatal(err)
			}
		}
		if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{18}) {
			t.Fatalf("resuming step 18: applied %v, %v", applied, err)
		}
		check(t, db)
	})
}

// Step 19 gives each university that already has an admin the Beijing
// date of its earliest admin's activation as launch date, marks the
// alerts of a launch more than 30 days back as sent, leaves the others
// unlaunched, and runs again over its own rows.
func TestMigrate19LaunchDates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		c := db.Conn(ctx)
		now := time.Now().UTC()
		uniOld, uniNew, uniNone := uint64(1), uint64(2), uint64(3)
		// 16:30 UTC is the next day in Beijing.
		early := time.Date(2025, 3, 4, 16, 30, 0, 0, time.UTC)
		later := early.AddDate(0, 1, 0)
		recent := now.Add(-48 * time.Hour)
		mk := func(acct string, uni uint64, role string, activated *time.Time) {
			u := model.User{Account: acct, AccountKey: acct, PasswordHash: "x", Role: role, UniversityID: &uni,
				ActivatedAt: activated, CreatedAt: now, UpdatedAt: now}
			if err := c.Create(&u).Error; err != nil {
				t.Fatal(err)
			}
		}
		mk("mig18a", uniOld, model.RoleUniversityAdm, &later)
		mk("mig18b", uniOld, model.RoleUniversityAdm, &early)
		mk("mig18c", uniNew, model.RoleUniversityAdm, &recent)
		mk("mig18d", uniNone, model.RoleCadre, &early)
		for range 2 { // and once more, as a resumed step
			if err := c.Exec("DELETE FROM schema_migrations WHERE version = 19").Error; err != nil {
				t.Fatal(err)
			}
			if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{19}) {
				t.Fatalf("step 19: applied %v, %v", applied, err)
			}
		}
		var rows []model.UniversityOnboarding
		if err := c.Order("university_id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].UniversityID != uniOld || rows[1].UniversityID != uniNew {
			t.Fatalf("rows after step 19 = %+v; want universities 1 and 2", rows)
		}
		if rows[0].LaunchedOn != "2025-03-05" || rows[0].LaunchSource != model.LaunchByMigration ||
			rows[0].RemindedAt == nil || rows[0].LateAlertedAt == nil || rows[0].OperatingOn != nil {
			t.Errorf("long-launched university: %+v; want 2025-03-05 (Beijing) with its alerts marked sent", rows[0])
		}
		if rows[1].LaunchedOn != recent.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) ||
			rows[1].RemindedAt != nil || rows[1].LateAlertedAt != nil {
			t.Errorf("recently launched university: %+v; want its admin's date and no alert marked", rows[1])
		}
	})
}

// Step 22: the board index by 同问 and the people's indexes exist, and a
// step run again over what it built (a resumed step) passes over it.
func TestMigrate22Metoo(t *testing.T) {
	check := func(t *testing.T, db *model.DB) {
		t.Helper()
		if got := secondaryIndexes(t, db, "questions")["idx_question_board_metoo"]; !slices.Equal(got, []string{"board_id", "metoo_count", "id", "status"}) {
			t.Errorf("questions.idx_question_board_metoo = %v", got)
		}
		if got := secondaryIndexes(t, db, "question_metoos")["idx_question_metoo_user"]; !slices.Equal(got, []string{"user_id", "created_at"}) {
			t.Errorf("question_metoos.idx_question_metoo_user = %v", got)
		}
		if got := secondaryIndexes(t, db, "answer_helpfuls")["idx_answer_helpful_user"]; !slices.Equal(got, []string{"user_id", "created_at"}) {
			t.Errorf("answer_helpfuls.idx_answer_helpful_user = %v", got)
		}
	}
	eachFresh(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, db)
		if err := db.Conn(ctx).Exec("DELETE FROM schema_migrations WHERE version = 22").Error; err != nil {
			t.Fatal(err)
		}
		if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{22}) {
			t.Fatalf("resuming step 22: applied %v, %v", applied, err)
		}
		check(t, db)
	})
}

// 我的消息 is read by person: the list by (user_id, id), the unread
// count by (user_id, read_at), however many million rows the table has.
func TestMessagesIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		m := db.Conn(context.Background()).Migrator()
		for _, idx := range []string{"idx_messages_user_id", "idx_messages_user_read"} {
			if !m.HasIndex("messages", idx) {
				t.Errorf("messages has no index %s", idx)
			}
		}
	})
}
