package model_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the plain driver, for the baseline
	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// eachWith is dbtest.Each for a database opened with options.
func eachWith(t *testing.T, o model.Options, fn func(t *testing.T, db *model.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		db, err := model.OpenSQLiteWith(filepath.Join(t.TempDir(), "yv.db"), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		migrate(t, db)
		fn(t, db)
	})
	if os.Getenv(dbtest.EnvMySQL) != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, openMySQLWith(t, dbtest.NewMySQLDatabase(t), o)) })
	}
}

func openMySQLWith(t *testing.T, dsn string, o model.Options) *model.DB {
	t.Helper()
	db, err := model.OpenMySQLWith(context.Background(), dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	migrate(t, db)
	return db
}

func migrate(t *testing.T, db *model.DB) {
	t.Helper()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// slowSQL runs for minutes unless stopped, on each engine; marker makes
// it findable in the process list.
func slowSQL(t *testing.T, db *model.DB, marker string) string {
	t.Helper()
	if db.Dialect() == model.SQLite {
		return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT /* " + marker + " */ COUNT(*) FROM (SELECT x FROM c LIMIT 100000000000)"
	}
	var v string
	if err := db.Conn(context.Background()).Raw("SELECT VERSION()").Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	// A scan of 10^10 rows on MariaDB (its Sequence engine); MySQL has
	// no such table, BENCHMARK loops as long.
	if strings.Contains(v, "MariaDB") {
		return "SELECT /* " + marker + " */ SUM(a.seq * b.seq) FROM seq_1_to_100000 a, seq_1_to_100000 b"
	}
	return "SELECT /* " + marker + " */ BENCHMARK(10000000000, MD5('yv'))"
}

func newMarker() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "yv-report-" + hex.EncodeToString(b)
}

// running counts the statements carrying marker on the server of g,
// other than this one.
func running(t *testing.T, g *gorm.DB, marker string) int64 {
	t.Helper()
	var n int64
	if err := g.Raw("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()",
		"%"+marker+"%").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// waitRunning waits until the marked statement is on the server.
func waitRunning(t *testing.T, g *gorm.DB, marker string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); running(t, g, marker) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the slow statement never showed in the process list")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gone reports whether the marked statement left the server within d.
func gone(t *testing.T, g *gorm.DB, marker string, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if running(t, g, marker) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func TestReportsReadWhatConnReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		var viaConn, viaReports, viaRaw int64
		if err := db.Conn(ctx).Model(&model.University{}).Count(&viaConn).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Reports(ctx).Model(&model.University{}).Count(&viaReports).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Reports(ctx).Raw("SELECT COUNT(*) FROM universities").Scan(&viaRaw).Error; err != nil {
			t.Fatal(err)
		}
		if viaConn != 166 || viaReports != viaConn || viaRaw != viaConn {
			t.Fatalf("universities: Conn %d, Reports %d, Reports raw %d; want 166 each", viaConn, viaReports, viaRaw)
		}
		// No replica: the reports read the primary, fresh as of now.
		before := time.Now().Add(-time.Second)
		asOf, err := db.ReportsAsOf(ctx)
		if err != nil || asOf.Before(before) || asOf.After(time.Now().Add(time.Second)) {
			t.Fatalf("ReportsAsOf = %v, %v; want now", asOf, err)
		}
		if db.ReportTimeout() != model.DefaultReportTimeout {
			t.Fatalf("ReportTimeout = %v, want the default %v", db.ReportTimeout(), model.DefaultReportTimeout)
		}
	})
}

func TestReportTimeLimit(t *testing.T) {
	const limit = 700 * time.Millisecond
	eachWith(t, model.Options{ReportTimeout: limit}, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		marker := newMarker()
		start := time.Now()
		var n int64
		err := db.Reports(ctx).Raw(slowSQL(t, db, marker)).Scan(&n).Error
		took := time.Since(start)
		if !errors.Is(err, model.ErrReportTimeout) {
			t.Fatalf("slow report: %v, want ErrReportTimeout", err)
		}
		var te *model.ReportTimeoutError
		if !errors.As(err, &te) || te.Limit != limit {
			t.Fatalf("slow report: %#v, want a *ReportTimeoutError with the limit %v", err, limit)
		}
		// MySQL: the server's limit trips first (the client's backstop
		// waits 2 s more), and the statement is gone from the server.
		// SQLite: the deadline interrupts the statement.
		t.Logf("stopped after %v (limit %v)", took, limit)
		if took > limit+time.Second {
			t.Fatalf("stopped after %v, limit %v", took, limit)
		}
		if db.Dialect() == model.MySQL && !gone(t, db.Conn(ctx), marker, time.Second) {
			t.Fatal("the statement is still running on the server after its time limit")
		}
		// The pool is fine afterwards.
		if err := db.Reports(ctx).Raw("SELECT COUNT(*) FROM universities").Scan(&n).Error; err != nil || n != 166 {
			t.Fatalf("report after a timeout: %d, %v", n, err)
		}
		// Conn has no such limit: only reports are cut short.
		if db.Dialect() == model.MySQL {
			if err := db.Conn(ctx).Raw("SELECT SLEEP(1.2)").Scan(&n).Error; err != nil {
				t.Fatalf("a 1.2 s statement on Conn: %v", err)
			}
		}
	})
}

// TestCancelledQueryKeepsRunning shows why the report pools kill: with the
// plain driver, a cancelled context only closes the connection, and the
// server goes on computing the statement.
func TestCancelledQueryKeepsRunning(t *testing.T) {
	if os.Getenv(dbtest.EnvMySQL) == "" {
		t.Skip("MySQL only")
	}
	db := dbtest.MySQL(t)
	dsn := dbtest.NewMySQLDatabase(t)
	plain, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	marker := newMarker()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		var n sql.NullInt64
		errc <- plain.QueryRowContext(ctx, slowSQL(t, db, marker)).Scan(&n)
	}()
	main := db.Conn(context.Background())
	waitRunning(t, main, marker)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
	stillThere := !gone(t, main, marker, 1500*time.Millisecond)
	// Stop it by hand, whatever the outcome.
	var ids []uint64
	main.Raw("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()", "%"+marker+"%").Scan(&ids)
	for _, id := range ids {
		main.Exec("KILL QUERY ?", id)
	}
	if !stillThere {
		t.Fatal("the server stopped the cancelled statement by itself: the KILL QUERY in killquery.go may no longer be needed")
	}
}

func TestReportsCancelStopsTheStatement(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := dbtest.SQLite(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		var n int64
		err := db.Reports(ctx).Raw(slowSQL(t, db, newMarker())).Scan(&n).Error
		t.Logf("cancelled report returned after %v", time.Since(start))
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
			t.Fatalf("cancelled report: %v after %v, want context.Canceled at once", err, time.Since(start))
		}
		// The single connection is free again.
		if err := db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM universities").Scan(&n).Error; err != nil || n != 166 {
			t.Fatalf("after the cancel: %d, %v", n, err)
		}
	})
	if os.Getenv(dbtest.EnvMySQL) == "" {
		return
	}
	db := dbtest.MySQL(t)
	main := db.Conn(context.Background())
	for round := range 3 { // the pool keeps working after each kill
		marker := newMarker()
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			var n int64
			errc <- db.Reports(ctx).Raw(slowSQL(t, db, marker)).Scan(&n).Error
		}()
		waitRunning(t, main, marker)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: cancelled report: %v", round, err)
		}
		cancelled := time.Now()
		if !gone(t, main, marker, time.Second) {
			t.Fatalf("round %d: the cancelled report is still running on the server 1 s later", round)
		}
		t.Logf("round %d: gone from the process list %v after the cancel", round, time.Since(cancelled).Round(time.Millisecond))
		var n int64
		if err := db.Reports(context.Background()).Raw("SELECT COUNT(*) FROM universities").Scan(&n).Error; err != nil || n != 166 {
			t.Fatalf("round %d: report after a cancel: %d, %v", round, n, err)
		}
	}
}

func TestReportsHeartbeat(t *testing.T) {
	eachWith(t, model.Options{HeartbeatEvery: time.Hour}, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		beat := func() time.Time {
			var at time.Time
			if err := db.Conn(ctx).Raw("SELECT beat_at FROM report_heartbeats WHERE id = 1").Scan(&at).Error; err != nil {
				t.Fatal(err)
			}
			return at
		}
		if at := beat(); !at.Equal(time.Unix(0, 0)) {
			t.Fatalf("fresh heartbeat at %v, want the epoch", at)
		}
		before := time.Now().Add(-time.Second)
		if err := db.BeatReports(ctx); err != nil {
			t.Fatal(err)
		}
		first := beat()
		if first.Before(before) {
			t.Fatalf("heartbeat at %v after a beat", first)
		}
		// Another beat within half a period, as from a second instance,
		// writes nothing.
		time.Sleep(10 * time.Millisecond)
		if err := db.BeatReports(ctx); err != nil {
			t.Fatal(err)
		}
		if again := beat(); !again.Equal(first) {
			t.Fatalf("second beat within the period moved the heartbeat %v → %v", first, again)
		}
		// Without a replica there is nothing to beat for.
		done := make(chan struct{})
		go func() { db.RunReportsHeartbeat(ctx); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("RunReportsHeartbeat without a replica did not return")
		}
	})
}

// BenchmarkReportsOverhead is what Reports adds to a statement (the
// deadline, the kill watch, dbresolver's callback) over Conn, on a
// one-row primary-key read:
// go test -run '^$' -bench ReportsOverhead ./model/
func BenchmarkReportsOverhead(b *testing.B) {
	run := func(b *testing.B, db *model.DB) {
		ctx := context.Background()
		for _, h := range []struct {
			name string
			g    func() *gorm.DB
		}{{"conn", func() *gorm.DB { return db.Conn(ctx) }}, {"reports", func() *gorm.DB { return db.Reports(ctx) }}} {
			b.Run(h.name, func(b *testing.B) {
				var n int64
				for b.Loop() {
					if err := h.g().Raw("SELECT COUNT(*) FROM universities WHERE id = ?", 7).Scan(&n).Error; err != nil || n != 1 {
						b.Fatal(n, err)
					}
				}
			})
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, dbtest.SQLite(b)) })
	if os.Getenv(dbtest.EnvMySQL) != "" {
		b.Run("mysql", func(b *testing.B) { run(b, dbtest.MySQL(b)) })
	}
}
