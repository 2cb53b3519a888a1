package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/stats"
)

// The loader: drop and recreate the database, run the project's own
// migrations, then stream each table's generated rows into MariaDB with
// LOAD DATA LOCAL INFILE (chunks of a few MB over loadConns connections,
// while the generator makes the next chunk).

const (
	loadConns = 2
	chunkSize = 4 << 20
)

// dbName is the database of a DSN.
func dbName(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parsing the DSN: %w", err)
	}
	if cfg.DBName == "" {
		return "", errors.New("the DSN names no database")
	}
	return cfg.DBName, nil
}

// serverDSN is dsn without its database, for CREATE / DROP DATABASE.
func serverDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg.DBName = ""
	return cfg.FormatDSN(), nil
}

// checkScaleName refuses to empty a database whose name does not say it
// is the harness's: -dsn pointed at a real database by mistake must not
// lose it.
func checkScaleName(name string) error {
	if !strings.Contains(strings.ToLower(name), "scale") {
		return fmt.Errorf("database %q: the scale harness drops and recreates its database, so its name must contain \"scale\"", name)
	}
	return nil
}

type loadResult struct {
	table string
	rows  int
	took  time.Duration
}

// load recreates the database of dsn and fills it. It returns the time of
// each table and of the statistics rebuild (0 when skipped).
func load(ctx context.Context, o options) error {
	name, err := dbName(o.dsn)
	if err != nil {
		return err
	}
	if err := checkScaleName(name); err != nil {
		return err
	}
	srv, err := serverDSN(o.dsn)
	if err != nil {
		return err
	}
	admin, err := sql.Open("mysql", srv)
	if err != nil {
		return err
	}
	defer admin.Close()
	total := time.Now()
	logf("load: recreating database %s", name)
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
		return fmt.Errorf("dropping %s: %w", name, err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	if _, err := applySettings(ctx, admin, o.root, o.noSettings); err != nil {
		return err
	}

	t0 := time.Now()
	db, err := model.OpenMySQL(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	logf("load: migrations to version %d in %s", model.LatestVersion(), since(t0))
	unis, prov, err := readUniversities(ctx, db)
	if err != nil {
		return err
	}

	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	g := newGenerator(o.volume, o.seed, now, unis, prov, string(hash))
	conn, err := sql.Open("mysql", loadDSN(o.dsn))
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(loadConns)
	sk := &mysqlSink{ctx: ctx, db: conn}
	var results []loadResult
	for _, step := range g.tables() {
		t := time.Now()
		n, err := step.fn(sk)
		if err != nil {
			return fmt.Errorf("loading %s: %w", step.name, err)
		}
		r := loadResult{step.name, n, time.Since(t)}
		results = append(results, r)
		logf("load: %-15s %10d rows in %8s (%.0f rows/s)", r.table, r.rows, r.took.Round(100*time.Millisecond), float64(r.rows)/r.took.Seconds())
	}
	tr := time.Now()
	nr, err := addRoster(ctx, db, g.now)
	if err != nil {
		return err
	}
	results = append(results, loadResult{"roster_entries", int(nr), time.Since(tr)})
	ta := time.Now()
	for _, r := range results {
		if _, err := conn.ExecContext(ctx, "ANALYZE TABLE `"+r.table+"`"); err != nil {
			return fmt.Errorf("analyzing %s: %w", r.table, err)
		}
	}
	results = append(results, loadResult{"(ANALYZE TABLE)", 0, time.Since(ta)})
	u := g.unis[g.largest]
	fmt.Printf("\nLoaded %s in %s (seed %d, reference time %s). Largest university: %s %s, board u-%s.\n",
		name, since(total), o.seed, g.now.Format(time.RFC3339), u.Code, u.Name, u.Code)
	fmt.Print(formatLoad(results))

	// The search index and the statistics roll-ups.
	if o.noRebuild {
		return nil
	}
	return statsRebuild(ctx, o)
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

// loadDSN allows LOAD DATA LOCAL from registered readers and makes each
// loading session skip the unique checks the generator already
// guarantees.
func loadDSN(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["unique_checks"] = "0"
	cfg.Params["foreign_key_checks"] = "0"
	cfg.Params["charset"] = "utf8mb4"
	cfg.ParseTime = true
	return cfg.FormatDSN()
}

// readUniversities reads the universities and boards the migrations
// seeded.
func readUniversities(ctx context.Context, db *model.DB) ([]uni, []uint64, error) {
	var unis []uni
	if err := db.Conn(ctx).Raw("SELECT u.id, u.code, u.name, b.id AS board FROM universities u JOIN boards b ON b.university_id = u.id ORDER BY u.id").
		Scan(&unis).Error; err != nil {
		return nil, nil, err
	}
	var prov []uint64
	if err := db.Conn(ctx).Raw("SELECT id FROM boards WHERE kind = ? ORDER BY sort_order, id", model.BoardProvince).Scan(&prov).Error; err != nil {
		return nil, nil, err
	}
	if len(unis) == 0 || len(prov) == 0 {
		return nil, nil, fmt.Errorf("the migrations seeded %d universities with boards and %d provincial boards", len(unis), len(prov))
	}
	return unis, prov, nil
}

// mysqlSink loads tables with LOAD DATA LOCAL INFILE.
type mysqlSink struct {
	ctx context.Context
	db  *sql.DB
}

var readerSeq atomic.Int64

func (s *mysqlSink) open(table string, cols []string) tableWriter {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = "`" + c + "`"
	}
	w := &mysqlTable{sink: s, table: table, stmt: "INTO TABLE `" + table + "` CHARACTER SET utf8mb4 " +
		"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (" + strings.Join(quoted, ", ") + ")",
		chunks: make(chan []byte, loadConns)}
	w.r.buf = make([]byte, 0, chunkSize+64<<10)
	for range loadConns {
		w.wg.Add(1)
		go w.loader()
	}
	return w
}

type mysqlTable struct {
	sink   *mysqlSink
	table  string
	stmt   string
	r      row
	rows   int
	chunks chan []byte
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func (w *mysqlTable) next() *row {
	if w.rows > 0 {
		w.r.end()
		if len(w.r.buf) >= chunkSize {
			w.flush()
		}
	}
	w.rows++
	w.r.begin()
	return &w.r
}

func (w *mysqlTable) flush() {
	if len(w.r.buf) == 0 {
		return
	}
	select {
	case w.chunks <- w.r.buf:
	case <-w.sink.ctx.Done():
	}
	w.r.buf = make([]byte, 0, chunkSize+64<<10)
}

func (w *mysqlTable) loader() {
	defer w.wg.Done()
	for c := range w.chunks {
		if err := w.loadChunk(c); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}
}

func (w *mysqlTable) loadChunk(c []byte) error {
	w.mu.Lock()
	failed := w.err != nil
	w.mu.Unlock()
	if failed {
		return nil
	}
	name := fmt.Sprintf("scalebench-%s-%d", w.table, readerSeq.Add(1))
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(c) })
	defer mysql.DeregisterReaderHandler(name)
	res, err := w.sink.db.ExecContext(w.sink.ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' "+w.stmt)
	if err != nil {
		return fmt.Errorf("LOAD DATA into %s: %w (the server needs local_infile=ON)", w.table, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(bytes.Count(c, []byte("\n"))) {
		return fmt.Errorf("LOAD DATA into %s stored %d of %d rows (warnings: run SHOW WARNINGS after the same statement)", w.table, n, bytes.Count(c, []byte("\n")))
	}
	return nil
}

func (w *mysqlTable) close() (int, error) {
	if w.rows > 0 {
		w.r.end()
	}
	w.flush()
	close(w.chunks)
	w.wg.Wait()
	if err := w.sink.ctx.Err(); err != nil {
		return w.rows, err
	}
	return w.rows, w.err
}

// statsRebuild builds what the server keeps beside the loaded tables:
// the question search index, the open-question counts and the statistics
// roll-ups (what youthvoice search rebuild and stats-rebuild do). Rows written straight
// into the tables reach neither on their own.
func statsRebuild(ctx context.Context, o options) error {
	db, err := model.OpenMySQL(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	t := time.Now()
	n, err := question.RebuildSearch(ctx, db)
	if err != nil {
		return fmt.Errorf("search rebuild: %w", err)
	}
	fmt.Printf("search rebuild: %d questions in %s\n", n, since(t))
	t = time.Now()
	if err := question.RecountOpen(ctx, db); err != nil {
		return fmt.Errorf("open-question counts: %w", err)
	}
	fmt.Printf("open-question counts: %s\n", since(t))
	st, err := stats.New(db, clock.Real{})
	if err != nil {
		return err
	}
	t = time.Now()
	days, err := st.Rebuild(ctx)
	if err != nil {
		return fmt.Errorf("stats rebuild: %w", err)
	}
	fmt.Printf("stats rebuild: %d days in %s\n", days, since(t))
	return nil
}
