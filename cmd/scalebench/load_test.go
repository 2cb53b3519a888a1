package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/stats"
)

func TestCheckScaleName(t *testing.T) {
	if checkScaleName("youthvoice") == nil || checkScaleName("yv_test") == nil {
		t.Fatal("a database without \"scale\" in its name must not be emptied")
	}
	if checkScaleName("yv_scale") != nil || checkScaleName("scale_t1") != nil {
		t.Fatal("the harness's own names are refused")
	}
}

// TestLoadIntoMariaDB loads a small volume through the real loader (the
// migrations, LOAD DATA) and checks what the application sees: the
// counts, the accounts the bench signs in with, nothing left for the
// sweep, the statistics, the overdue list and search. MariaDB only, like
// the harness.
func TestLoadIntoMariaDB(t *testing.T) {
	admin := os.Getenv(dbtest.EnvMySQL)
	if admin == "" {
		t.Skipf("%s is not set", dbtest.EnvMySQL)
	}
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	cfg.DBName = "scale_t" + hex.EncodeToString(b)
	dsn := cfg.FormatDSN()
	t.Cleanup(func() {
		cfg.DBName = ""
		if db, err := sql.Open("mysql", cfg.FormatDSN()); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS `scale_t" + hex.EncodeToString(b) + "`")
			db.Close()
		}
	})
	ctx := context.Background()
	v := fullVolume().scaled(0.002)
	v.CadresPerUni = 2
	root, _ := filepath.Abs("../..")
	o := options{dsn: dsn, seed: 1, volume: v, root: root, noSettings: true}
	if err := load(ctx, o); err != nil {
		t.Fatal(err)
	}

	db, err := model.OpenMySQL(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.Conn(ctx).Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	staff := int64(1 + 166*(1+v.CadresPerUni) + (166-v.NoStation)*v.StationTeam)
	for q, want := range map[string]int64{
		"SELECT COUNT(*) FROM users":        staff + int64(v.Students),
		"SELECT COUNT(*) FROM questions":    int64(v.Questions),
		"SELECT COUNT(*) FROM answers":      int64(v.Answers),
		"SELECT COUNT(*) FROM interactions": int64(v.Interactions),
		"SELECT COUNT(*) FROM stations":     int64(166 - v.NoStation),
		"SELECT COUNT(*) FROM universities": 166,
		"SELECT COUNT(*) FROM answers a LEFT JOIN questions q ON q.id = a.question_id WHERE q.id IS NULL":                   0,
		"SELECT COUNT(*) FROM questions q LEFT JOIN users u ON u.id = q.asker_id WHERE u.id IS NULL":                        0,
		"SELECT COUNT(*) FROM bookings b LEFT JOIN users u ON u.id = b.student_id WHERE u.university_id <> b.university_id": 0,
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	var prov model.User
	if err := db.Conn(ctx).Where("account_key = ?", provinceAccount).Take(&prov).Error; err != nil {
		t.Fatal(err)
	}
	if prov.Role != model.RoleProvinceAdmin || prov.OpenID == nil || bcrypt.CompareHashAndPassword([]byte(prov.PasswordHash), []byte(benchPassword)) != nil {
		t.Fatalf("the province admin %+v cannot sign in with the bench password", prov)
	}

	clk := clock.Real{}
	outbox, err := alert.NewOutbox(db, clk)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(outbox, servicetest.Inbox(t, db, clk), notify.FromConfig(config.Default().Alerts.Templates, false), "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := question.New(db, clk, n, question.ParseWords(config.DefaultSensitiveWords), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// The sweeps' marks are as they would have set them: a sweep now has
	// nothing to do (one question may have come due in the seconds since).
	if r, o, err := qs.Sweep(ctx); err != nil || r+o > 1 {
		t.Fatalf("sweep after loading: %d reminders, %d overdue, %v", r, o, err)
	}
	od, err := qs.OverdueFor(ctx, prov)
	if err != nil {
		t.Fatal(err)
	}
	if want := count("SELECT COUNT(*) FROM questions WHERE status = 'open' AND due_at < ?", time.Now().UTC()); od.Total != want || want == 0 {
		t.Fatalf("overdue %d, want %d (and some)", od.Total, want)
	}
	if hits, err := qs.Search(ctx, prov, "", commonWord, 1); err != nil || len(hits) == 0 {
		t.Fatalf("search %s: %d hits, %v", commonWord, len(hits), err)
	}
	if hits, err := qs.Search(ctx, prov, "", noHitWord, 1); err != nil || len(hits) != 0 {
		t.Fatalf("search %s: %d hits, %v", noHitWord, len(hits), err)
	}

	st, err := stats.New(db, clk)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(clock.Beijing)
	rep, err := st.Report(ctx, prov, stats.Query{From: today.AddDate(0, 0, -365).Format(stats.DateLayout), To: today.Format(stats.DateLayout)})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total
	if share := float64(tot.Answered) / float64(tot.Questions); share < 0.8 || share > 0.9 {
		t.Errorf("answered %d of %d questions in the year", tot.Answered, tot.Questions)
	}
	if tot.Active == 0 || tot.Interactions == 0 || tot.Bookings == 0 || tot.Served == 0 || tot.ServiceRated == 0 ||
		tot.RatedGood == 0 || tot.Late == 0 || tot.OverdueNow == 0 || tot.CadreAnswers == 0 || tot.Activated == 0 {
		t.Errorf("a figure of the year is 0: %+v", tot)
	}
	if tot.ActiveRate == nil || *tot.ActiveRate > 1 || tot.OnTimeRate == nil || *tot.OnTimeRate < 0.6 {
		t.Errorf("rates %+v", tot)
	}

	// Every account holds its role, and the roster lists each university's
	// cadres and station team linked to them, with 3 待注册 each; adding it
	// again adds nothing.
	if n := count("SELECT COUNT(*) FROM users WHERE role <> 'student' AND roles = 0"); n != 0 {
		t.Errorf("%d staff accounts without their role in users.roles", n)
	}
	if got, want := count("SELECT COUNT(*) FROM roster_entries WHERE user_id IS NOT NULL"), staff-1-166; got != want {
		t.Errorf("%d linked roster entries, want %d", got, want)
	}
	if got := count("SELECT COUNT(*) FROM roster_entries WHERE status = ?", model.RosterPending); got != 166*rosterPending {
		t.Errorf("%d 待注册 entries, want %d", got, 166*rosterPending)
	}
	if added, err := addRoster(ctx, db, time.Now()); err != nil || added != 0 {
		t.Errorf("adding the roster again added %d, %v", added, err)
	}
	cr, err := st.Cadres(ctx, prov, stats.CadreQuery{From: today.AddDate(0, 0, -364).Format(stats.DateLayout), To: today.Format(stats.DateLayout)})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Total.Answers == 0 || cr.Total.FirstAnswers == 0 || cr.Total.BookingsHandled == 0 || len(cr.Universities) != 166 {
		t.Errorf("the province's cadre table of the year: %+v", cr.Total)
	}
}
