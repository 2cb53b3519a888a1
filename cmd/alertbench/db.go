package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
)

const defaultDBName = "yv_alertbench"

// defaultDSN is YV_TEST_MYSQL_DSN's server and credentials with the bench's
// own database (the test database is left alone), or the local default.
func defaultDSN(testDSN string) string {
	const local = "root@tcp(127.0.0.1:3306)/" + defaultDBName + "?parseTime=true"
	if testDSN == "" {
		return local
	}
	cfg, err := mysql.ParseDSN(testDSN)
	if err != nil {
		return local
	}
	cfg.DBName = defaultDBName
	return cfg.FormatDSN()
}

// benchDB is the dedicated database, dropped and recreated per scenario.
type benchDB struct {
	admin *sql.DB // no default database
	name  string
	dsn   string // for the instances (YV_MYSQL_DSN) and model.OpenMySQL
	own   atomic.Int64
}

func openBenchDB(ctx context.Context, dsn string) (*benchDB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("-mysql: %w", err)
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("-mysql names no database; use e.g. …/%s?parseTime=true", defaultDBName)
	}
	// The database is dropped: refuse anything that is not obviously a
	// scratch database.
	if !strings.Contains(strings.ToLower(cfg.DBName), "bench") {
		return nil, fmt.Errorf("-mysql database %q is dropped and recreated by alertbench; its name must contain \"bench\"", cfg.DBName)
	}
	if strings.ContainsAny(cfg.DBName, "`\\") {
		return nil, fmt.Errorf("-mysql database name %q is not supported", cfg.DBName)
	}
	acfg := cfg.Clone()
	acfg.DBName = ""
	admin, err := sql.Open("mysql", acfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("MariaDB at %s does not answer (is it running?): %w", cfg.Addr, err)
	}
	return &benchDB{admin: admin, name: cfg.DBName, dsn: dsn}, nil
}

func (b *benchDB) close() { b.admin.Close() }

func (b *benchDB) drop(ctx context.Context) error {
	_, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+b.name+"`")
	return err
}

// reset drops and recreates the database, migrates it with the binary
// under test (so the schema is the one that binary expects, whatever this
// checkout's model says) and queues n alerts due now. It returns the row
// ids.
func (b *benchDB) reset(ctx context.Context, n int, bin, dataDir string) ([]uint64, error) {
	if err := b.drop(ctx); err != nil {
		return nil, fmt.Errorf("dropping %s: %w", b.name, err)
	}
	if _, err := b.admin.ExecContext(ctx, "CREATE DATABASE `"+b.name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return nil, fmt.Errorf("creating %s: %w", b.name, err)
	}
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = append(benchproc.WithoutYV(os.Environ()), "YV_MYSQL_DSN="+b.dsn, "YV_DATA_DIR="+dataDir, "YV_LOG_LEVEL=warn")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s migrate: %w\n%s", bin, err, out)
	}
	db, err := model.OpenMySQL(ctx, b.dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// Rows as alert.Outbox.Enqueue writes them, inserted in bulk: the
	// measurement is delivery, not enqueueing.
	now := time.Now().UTC().Add(-time.Second).Truncate(time.Millisecond)
	data := `{"thing1":"压测提醒","thing2":"alertbench","time3":"` + now.Format("2006-01-02 15:04") + `"}`
	rows := make([]model.TemplateMessage, n)
	for i := range rows {
		rows[i] = model.TemplateMessage{
			OpenID:        fmt.Sprintf("o-alertbench-%06d", i),
			TemplateKey:   alertkind.Answered.Key(),
			TemplateID:    "TPL_ALERTBENCH",
			URL:           "https://example.org/q/1",
			Data:          data,
			Status:        model.TemplatePending,
			NextAttemptAt: now,
			CreatedAt:     now,
			UpdatedAt:     now,
		}
	}
	if err := db.WithTx(ctx, func(ctx context.Context) error {
		return db.Conn(ctx).CreateInBatches(rows, 1000).Error
	}); err != nil {
		return nil, fmt.Errorf("queueing %d alerts: %w", n, err)
	}
	ids := make([]uint64, n)
	for i := range rows {
		ids[i] = rows[i].ID
	}
	return ids, nil
}

// probeCommit times 30 single-row autocommit INSERTs into a scratch table:
// the durable-commit latency of the server right now (the disk's fsync
// mostly), which bounds what one sending worker can do. It returns the
// median and the 90th percentile.
func (b *benchDB) probeCommit(ctx context.Context, db *sql.DB) (p50, p90 time.Duration, err error) {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS alertbench_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB"); err != nil {
		return 0, 0, err
	}
	var ds []time.Duration
	for range 30 {
		t := time.Now()
		if _, err := db.ExecContext(ctx, "INSERT INTO alertbench_probe (v) VALUES (1)"); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(t))
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE alertbench_probe"); err != nil {
		return 0, 0, err
	}
	return percentile(ds, 50), percentile(ds, 90), nil
}

// conn opens the bench database for the checks (after reset).
func (b *benchDB) conn() (*sql.DB, error) { return sql.Open("mysql", b.dsn) }

// sentCount counts the rows stored as sent.
func (b *benchDB) sentCount(ctx context.Context, db *sql.DB) (int, error) {
	b.own.Add(1)
	var n int
	// No placeholder: a plain query, not three prepared-statement packets
	// in the MariaDB counters.
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM template_messages WHERE status = '"+model.TemplateSent+"'").Scan(&n)
	return n, err
}

// final reads the outcome: rows by status, sent rows with more than one
// attempt, distinct msg_ids of sent rows.
func (b *benchDB) final(ctx context.Context, db *sql.DB, r *result) error {
	r.statuses = map[string]int{}
	rows, err := db.QueryContext(ctx, "SELECT status, COUNT(*) FROM template_messages GROUP BY status")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		r.statuses[s] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return db.QueryRowContext(ctx,
		"SELECT COALESCE(SUM(attempts > 1), 0), COUNT(DISTINCT msg_id) FROM template_messages WHERE status = ?",
		model.TemplateSent).Scan(&r.retried, &r.msgIDs)
}

// dbStatusVars are the MariaDB counters that explain where a send's time
// goes: statements, prepared-statement round trips, commits, redo-log
// writes and fsyncs (MariaDB 10.8+ has no Innodb_os_log_fsyncs; the redo
// log's are in Innodb_data_fsyncs).
var dbStatusVars = []string{
	"Questions", "Com_select", "Com_update", "Com_begin", "Com_commit",
	"Com_stmt_prepare", "Com_stmt_execute", "Com_stmt_close", "Innodb_data_fsyncs", "Innodb_log_writes",
	"Innodb_row_lock_waits", "Innodb_row_lock_time",
}

func (b *benchDB) status(ctx context.Context) (counters, error) {
	want := map[string]bool{}
	for _, v := range dbStatusVars {
		want[v] = true
	}
	rows, err := b.admin.QueryContext(ctx, "SHOW GLOBAL STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := counters{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if want[k] {
			n, _ := strconv.ParseFloat(v, 64)
			out[k] = n
		}
	}
	return out, rows.Err()
}

// serverFacts reads the server version and its commit durability setting.
func (b *benchDB) serverFacts(ctx context.Context) (version, flush string) {
	version, flush = "?", "?"
	_ = b.admin.QueryRowContext(ctx, "SELECT @@version, @@innodb_flush_log_at_trx_commit").Scan(&version, &flush)
	return version, flush
}
