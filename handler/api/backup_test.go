package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/backup"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/question"
)

// TestBackupRestoreRoundTrip is issue 24's round trip: a realistic run
// (activations, questions and answers, a booking, alerts waiting in the
// outbox, WeChat pushes, the statistics roll-ups) is backed up while the
// server answers requests, restored into a fresh database, and a new
// server on it gives the same answers to the same API calls. On MariaDB
// through mariadb-dump and the mariadb client (when YV_TEST_MYSQL_DSN is
// set); on SQLite always.
func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		src := openSQLite(t, filepath.Join(dir, "src.db"))
		roundTrip(t, src, backup.Source{DB: src, SQLitePath: filepath.Join(dir, "src.db")}, func(t *testing.T, file string) *model.DB {
			target := filepath.Join(dir, "restored", "youthvoice.db")
			if _, err := backup.RestoreSQLite(context.Background(), target, file, false); err != nil {
				t.Fatalf("restore: %v", err)
			}
			// A second restore over it is refused without --force.
			if _, err := backup.RestoreSQLite(context.Background(), target, file, false); err == nil || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("restore over an existing database: %v, want a refusal naming --force", err)
			}
			return openSQLite(t, target)
		})
	})
	if os.Getenv(dbtest.EnvMySQL) == "" {
		return
	}
	t.Run("mysql", func(t *testing.T) {
		dsn := dbtest.NewMySQLDatabase(t)
		src := openMySQL(t, dsn)
		roundTrip(t, src, backup.Source{DB: src, DSN: dsn}, func(t *testing.T, file string) *model.DB {
			// A fresh database (dropped at the end), restored through
			// the mariadb client.
			target := dbtest.NewMySQLDatabase(t)
			if _, err := backup.RestoreMySQL(context.Background(), target, file, false, backup.Options{}); err != nil {
				t.Fatalf("restore: %v", err)
			}
			if _, err := backup.RestoreMySQL(context.Background(), target, file, false, backup.Options{}); err == nil || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("restore over a non-empty database: %v, want a refusal naming --force", err)
			}
			return openMySQL(t, target)
		})
	})
}

func openSQLite(t *testing.T, path string) *model.DB {
	t.Helper()
	db, err := model.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func openMySQL(t *testing.T, dsn string) *model.DB {
	t.Helper()
	db, err := model.OpenMySQL(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func roundTrip(t *testing.T, src *model.DB, from backup.Source, restore func(t *testing.T, file string) *model.DB) {
	ctx := context.Background()
	// Wednesday 2026-11-25 10:00 in Beijing: the station is open.
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, clock.Beijing)
	clk := clock.NewFake(at)
	// Sessions live in the kv store (Redis in production), which a
	// database restore leaves alone: both servers share it.
	store, err := kv.NewMemory(clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s := webtest.New(t, src, store, webtest.Opts{Clock: clk})

	stu := s.Member("bkStu", webtest.CodeSZU, model.RoleStudent)
	cad := s.Member("bkCad", webtest.CodeSZU, model.RoleCadre)
	adm := s.Member("bkAdm", webtest.CodeSZU, model.RoleUniversityAdm)
	prv := s.Member("bkPrv", webtest.CodeSCUT, model.RoleProvinceAdmin)
	far := s.Member("bkFar", webtest.CodeSCUT, model.RoleStudent)
	student, cadre, admin, province, other := s.Phone(stu), s.Phone(cad), s.Phone(adm), s.Phone(prv), s.Phone(far)

	// Questions: one answered and rated, one left open; another
	// university's, with a body to search.
	var q1, q2, q3 struct{ Data struct{ ID uint64 } }
	webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "图书馆几点关门", "body": "期末周延长吗"}), http.StatusCreated, &q1.Data)
	webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "奖学金评定细则"}), http.StatusCreated, &q2.Data)
	webtest.WantData(t, other.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "宿舍空调报修", "body": "三楼空调漏水"}), http.StatusCreated, &q3.Data)
	clk.Advance(20 * time.Minute)
	webtest.WantStatus(t, cadre.API(http.MethodPost, "/api/v1/questions/"+itoa(q1.Data.ID)+"/answers", map[string]string{"body": "期末周延长到晚上十一点"}), http.StatusCreated)
	webtest.WantStatus(t, student.API(http.MethodPost, "/api/v1/questions/"+itoa(q1.Data.ID)+"/resolve", map[string]string{"rating": "满意"}), http.StatusOK)

	// A station and a booking, answered by the admin.
	weekday := []map[string]string{{"open": "09:00", "close": "12:00"}, {"open": "14:00", "close": "17:30"}}
	webtest.WantStatus(t, admin.API(http.MethodPut, "/api/v1/stations/"+webtest.CodeSZU, map[string]any{
		"name": "深圳大学青年之家", "building": "学生活动中心", "room": "201", "address": "南山区南海大道3688号",
		"services":     []string{"心理咨询", "学业辅导"},
		"weekly_hours": []any{[]any{}, weekday, weekday, weekday, weekday, weekday, []any{}},
		"slot_minutes": 60, "slot_capacity": 1,
	}), http.StatusOK)
	var bk struct{ ID uint64 }
	webtest.WantData(t, student.API(http.MethodPost, "/api/v1/bookings", map[string]any{"service": "心理咨询",
		"slot_start": at.Add(4 * time.Hour), "phone": "13800138000", "description": "考前焦虑"}), http.StatusCreated, &bk)

	// WeChat pushes of the student, for the activity figures.
	for i := range 3 {
		when := clk.Now().Add(-time.Duration(i) * time.Minute).UTC()
		if err := src.Conn(ctx).Create(&model.Interaction{OpenID: stu.OpenID, MsgType: "text", Content: "帮助", SentAt: when, CreatedAt: when}).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Some alerts delivered, the later ones still waiting in the outbox.
	s.Deliver()
	clk.Advance(10 * time.Minute)
	webtest.WantStatus(t, cadre.API(http.MethodPost, "/api/v1/questions/"+itoa(q2.Data.ID)+"/answers", map[string]string{"body": "见学院通知"}), http.StatusCreated)
	var pending int64
	if err := src.Conn(ctx).Model(&model.TemplateMessage{}).Where("status = ?", model.TemplatePending).Count(&pending).Error; err != nil || pending == 0 {
		t.Fatalf("pending alerts in the outbox: %d, %v; want some", pending, err)
	}
	if _, err := s.Stats.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	calls := []struct {
		who  *webtest.Client
		path string
	}{
		{student, "/api/v1/questions/mine"},
		{student, "/api/v1/questions/" + itoa(q1.Data.ID)},
		{student, "/api/v1/questions/" + itoa(q2.Data.ID)},
		{student, "/api/v1/questions/search?q=" + "空调"},
		{student, "/api/v1/bookings/mine"},
		{student, "/api/v1/bookings/" + itoa(bk.ID)},
		{student, "/api/v1/messages"},
		{admin, "/api/v1/admin/overdue"},
		{admin, "/api/v1/stations/" + webtest.CodeSZU},
		{province, "/api/v1/admin/stats"},
		{province, "/api/v1/admin/stats?from=2026-11-25&to=2026-11-25"},
		{province, "/api/v1/admin/cadres"},
	}
	answers := make([]string, len(calls))
	for i, c := range calls {
		r := c.who.API(http.MethodGet, c.path, nil)
		webtest.WantStatus(t, r, http.StatusOK)
		answers[i] = strings.ReplaceAll(r.Body, s.URL, "{server}")
	}
	// The search must find something, or comparing it proves little.
	if !strings.Contains(answers[3], "宿舍空调报修") {
		t.Fatalf("search before the backup: %s", answers[3])
	}

	// Back up while the server keeps answering.
	stop := make(chan struct{})
	var served atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if r := student.API(http.MethodGet, "/api/v1/questions/mine", nil); r.Status == http.StatusOK {
				served.Add(1)
			}
		}
	}()
	dir := t.TempDir()
	m, err := backup.Backup(ctx, from, dir, backup.Options{AppVersion: "test"})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if served.Load() == 0 {
		t.Fatal("the server answered nothing during the backup")
	}
	if m.SchemaVersion != model.LatestVersion() || m.Rows["questions"] != 3 || m.Rows["bookings"] != 1 || m.Rows["interactions"] != 3 || m.Rows["template_messages"] == 0 {
		t.Fatalf("manifest %+v", m)
	}
	t.Logf("backup %s: %d bytes, %d tables, schema only %v", m.File, m.Size, len(m.Rows), m.SchemaOnly)

	// A damaged file is refused before anything is loaded.
	data := filepath.Join(dir, m.File)
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), m.File)
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(bad, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	mraw, _ := os.ReadFile(backup.ManifestPath(data))
	if err := os.WriteFile(backup.ManifestPath(bad), mraw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backup.ReadManifest(bad); err == nil || !strings.Contains(err.Error(), "已损坏") {
		t.Fatalf("a damaged backup: %v, want 已损坏", err)
	}

	restored := restore(t, data)
	if _, err := question.RebuildSearch(ctx, restored); err != nil {
		t.Fatal(err)
	}
	s2 := webtest.New(t, restored, store, webtest.Opts{Clock: clock.NewFake(clk.Now())})
	for i, c := range calls {
		who := *c.who
		who.Stack = s2
		r := who.API(http.MethodGet, c.path, nil)
		webtest.WantStatus(t, r, http.StatusOK)
		if got := strings.ReplaceAll(r.Body, s2.URL, "{server}"); got != answers[i] {
			t.Errorf("GET %s after the restore:\n got %s\nwant %s", c.path, got, answers[i])
		}
	}
}
