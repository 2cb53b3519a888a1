package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// Heavy read-only queries (statistics, exports) must never hurt the live
// service: the WeChat callback and every page share the primary. They go
// through DB.Reports, which
//
//   - runs every statement under a time limit (MariaDB max_statement_time,
//     MySQL max_execution_time, set on the connections of a pool of their
//     own; SQLite: the context's deadline), and fails with
//     ErrReportTimeout when it trips;
//   - stops a statement on the server when its context is cancelled (the
//     admin closed the page) or its deadline passes: see killquery.go;
//   - caps how many such statements run at once (reportConns);
//   - reads from a replica when one is configured, through
//     gorm.io/plugin/dbresolver, and falls back to the primary while the
//     replica is down or too far behind.

// Defaults of Options.
const (
	// DefaultReportTimeout is YV_REPORT_TIMEOUT's default. It stays under
	// the HTTP write timeout (15 s) so that the page can still say why.
	DefaultReportTimeout = 10 * time.Second
	// DefaultReplicaMaxLag is how far behind the primary a replica may be
	// before reports go back to the primary.
	DefaultReplicaMaxLag = 5 * time.Minute
	// DefaultHeartbeatEvery is how often the heartbeat is written and the
	// replica checked.
	DefaultHeartbeatEvery = 5 * time.Second
)

// reportConns caps the concurrent report statements per server: a few
// admins pressing refresh queue up instead of taking every core.
const reportConns = 4

// reportGrace is how long the client waits past the server's own limit
// before it gives up itself (waiting for a pool connection, a network
// that went quiet, a statement MySQL's limit does not cover).
const reportGrace = 2 * time.Second

// replicaProbeTimeout bounds one check of the replica.
const replicaProbeTimeout = 2 * time.Second

// Options tune a DB beyond its DSN. The zero value is the defaults.
type Options struct {
	// ReplicaDSN is a read replica of the MySQL primary for reports
	// (YV_MYSQL_REPLICA_DSN); empty for none.
	ReplicaDSN string
	// ReportTimeout limits every report statement (YV_REPORT_TIMEOUT).
	ReportTimeout time.Duration
	// ReplicaMaxLag: a replica further behind counts as down.
	ReplicaMaxLag time.Duration
	// HeartbeatEvery: how often RunReportsHeartbeat beats and Reports
	// checks the replica.
	HeartbeatEvery time.Duration
	// Log receives the replica's ups and downs (slog.Default if nil).
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ReportTimeout <= 0 {
		o.ReportTimeout = DefaultReportTimeout
	}
	if o.ReplicaMaxLag <= 0 {
		o.ReplicaMaxLag = DefaultReplicaMaxLag
	}
	if o.HeartbeatEvery <= 0 {
		o.HeartbeatEvery = DefaultHeartbeatEvery
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// ErrReportTimeout is the error of a report statement stopped by its time
// limit. errors.As gives the *ReportTimeoutError with the limit.
var ErrReportTimeout = errors.New("report statement time limit reached")

// ReportTimeoutError is a report statement stopped by its time limit.
type ReportTimeoutError struct {
	Limit time.Duration
	Err   error // the driver's error
}

func (e *ReportTimeoutError) Error() string {
	return fmt.Sprintf("report statement stopped after its time limit of %s: %v", e.Limit, e.Err)
}

// Is makes errors.Is(err, ErrReportTimeout) true.
func (e *ReportTimeoutError) Is(target error) bool { return target == ErrReportTimeout }

func (e *ReportTimeoutError) Unwrap() error { return e.Err }

// reports is the DB's side for heavy reads.
type reports struct {
	gorm    *gorm.DB
	timeout time.Duration
	grace   time.Duration
	pools   []*sql.DB // owned: closed with the DB
	replica *replica  // nil without YV_MYSQL_REPLICA_DSN
	every   time.Duration
	log     *slog.Logger
}

// Reports returns the handle for heavy read-only queries (statistics,
// exports): a pool of its own, on the read replica when one is configured
// and up, with every statement under the report time limit and stopped on
// the server when ctx is cancelled. It never joins ctx's transaction and
// must not be used inside one (on SQLite the transaction holds the only
// connection). Start a new chain per statement, as with Conn.
func (d *DB) Reports(ctx context.Context) *gorm.DB {
	r := d.rep
	ctx = r.limit(ctx)
	if r.replica == nil {
		return r.gorm.WithContext(ctx)
	}
	r.replica.check(ctx)
	// Read, whatever the SQL looks like (dbresolver would send a statement
	// not starting with SELECT, a WITH … say, to the primary).
	return r.gorm.WithContext(ctx).Clauses(dbresolver.Read).Session(&gorm.Session{})
}

// ReportsAsOf tells how fresh what Reports reads is: now on the primary;
// the replica's last applied heartbeat otherwise. Every change committed
// on the primary before that time is in what Reports reads, so call it
// before the queries it describes.
func (d *DB) ReportsAsOf(ctx context.Context) (time.Time, error) {
	now := d.gorm.NowFunc()
	r := d.rep.replica
	if r == nil {
		return now, nil
	}
	r.check(ctx)
	if !r.up.Load() {
		return now, nil
	}
	pctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
	defer cancel()
	beat, err := r.heartbeat(pctx)
	if err != nil && ctx.Err() != nil {
		return time.Time{}, err
	}
	if !r.observe(beat, err) {
		return now, nil // down since the check: Reports reads the primary
	}
	if beat.After(now) {
		beat = now // clocks of several instances
	}
	return beat, nil
}

// ReportTimeout is the time limit of a report statement.
func (d *DB) ReportTimeout() time.Duration { return d.rep.timeout }

// limit gives ctx the report deadline. The server's own limit (MySQL)
// normally trips first; this one is the backstop.
func (r *reports) limit(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(context.WithValue(ctx, reportKey{}, true), r.timeout+r.grace)
	// The caller has no cancel to call: the timer goes when its context
	// ends or at the deadline, whichever comes first.
	context.AfterFunc(c, cancel)
	return c
}

func (r *reports) close() {
	for _, p := range r.pools {
		_ = p.Close()
	}
}

// reportsDialector is the reports handle's dialector: the engine's own,
// with its errors translated for reports.
type reportsDialector struct {
	gorm.Dialector
	rep *reports
}

// Translate is the engine's translation, then the reports'.
func (d reportsDialector) Translate(err error) error {
	if t, ok := d.Dialector.(gorm.ErrorTranslator); ok {
		err = t.Translate(err)
	}
	return d.rep.translate(err)
}

// translate turns the engines' time-limit errors into *ReportTimeoutError,
// and has a replica connection failure re-checked at once. gorm passes
// most errors through the dialector's Translate, but not those of
// starting a raw query: a callback after "gorm:row" brings those here.
func (r *reports) translate(err error) error {
	if err == nil || errors.Is(err, ErrReportTimeout) {
		return err
	}
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && (me.Number == 1969 || me.Number == 3024):
		// MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT.
		return &ReportTimeoutError{Limit: r.timeout, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &ReportTimeoutError{Limit: r.timeout, Err: err}
	case r.replica != nil && isConnError(err):
		r.replica.suspect()
	}
	return err
}

// openReportsGorm opens the reports handle on dialector.
func openReportsGorm(r *reports, dialector gorm.Dialector) (*gorm.DB, error) {
	c := gormConfig()
	// No ping: a replica that is down must not stop start-up.
	c.DisableAutomaticPing = true
	g, err := gorm.Open(reportsDialector{Dialector: dialector, rep: r}, c)
	if err != nil {
		return nil, err
	}
	err = g.Callback().Row().After("gorm:row").Register("youthvoice:reports_errors", func(tx *gorm.DB) {
		tx.Error = r.translate(tx.Error)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func isConnError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn)
}

// openSQLiteReports shares SQLite's single connection: the time limit is
// the context's deadline, turned into sqlite3_interrupt (killquery.go).
func openSQLiteReports(pool *sql.DB, o Options) (*reports, error) {
	r := &reports{timeout: o.ReportTimeout, every: o.HeartbeatEvery, log: o.Log}
	g, err := openReportsGorm(r, &sqlite.Dialector{Conn: pool})
	if err != nil {
		return nil, err
	}
	r.gorm = g
	return r, nil
}

// openMySQLReports opens the report pools: on the primary, and on the
// replica when o.ReplicaDSN is set. mariadb tells which engine's time
// limit to set.
func openMySQLReports(primaryDSN string, mariadb bool, o Options) (*reports, error) {
	r := &reports{timeout: o.ReportTimeout, grace: reportGrace, every: o.HeartbeatEvery, log: o.Log}
	primary, err := openReportPool(primaryDSN, mariadb, o, 0)
	if err != nil {
		return nil, fmt.Errorf("YV_MYSQL_DSN: %w", err)
	}
	r.pools = append(r.pools, primary)
	dial := func(pool *sql.DB) gorm.Dialector {
		return gmysql.New(gmysql.Config{Conn: pool, SkipInitializeWithVersion: true})
	}
	g, err := openReportsGorm(r, dial(primary))
	if err != nil {
		r.close()
		return nil, err
	}
	r.gorm = g
	if o.ReplicaDSN == "" {
		return r, nil
	}
	// A replica that does not answer within this is taken for down.
	pool, err := openReportPool(o.ReplicaDSN, mariadb, o, replicaProbeTimeout)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("YV_MYSQL_REPLICA_DSN: %w", err)
	}
	r.pools = append(r.pools, pool)
	r.replica = &replica{pool: pool, maxLag: o.ReplicaMaxLag, every: o.HeartbeatEvery, log: o.Log}
	// Reads go to the first of these the policy picks: the replica while
	// it is up, the primary's report pool otherwise. Writes (none are
	// expected) go to the primary.
	err = g.Use(dbresolver.Register(dbresolver.Config{
		Replicas: []gorm.Dialector{dial(pool), dial(primary)},
		Policy:   dbresolver.PolicyFunc(r.replica.pick),
	}))
	if err != nil {
		r.close()
		return nil, fmt.Errorf("YV_MYSQL_REPLICA_DSN: %w", err)
	}
	// Not checked here: before the migrations the heartbeat may not exist
	// yet. The first report, or RunReportsHeartbeat a period after
	// start-up, checks it.
	return r, nil
}

// openReportPool opens a pool whose every connection carries the report
// time limit and stops its statement on the server when cancelled.
func openReportPool(dsn string, mariadb bool, o Options, dialTimeout time.Duration) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(withMySQLDefaults(dsn))
	if err != nil {
		return nil, errors.New("连接串无法解析")
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// Sent as SET … when each connection opens.
	if mariadb {
		cfg.Params["max_statement_time"] = strconv.FormatFloat(o.ReportTimeout.Seconds(), 'f', 3, 64)
	} else {
		cfg.Params["max_execution_time"] = strconv.FormatInt(o.ReportTimeout.Milliseconds(), 10)
	}
	if dialTimeout > 0 && (cfg.Timeout == 0 || cfg.Timeout > dialTimeout) {
		cfg.Timeout = dialTimeout
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(&killConnector{inner: conn, log: o.Log})
	pool.SetMaxOpenConns(reportConns)
	pool.SetMaxIdleConns(reportConns)
	pool.SetConnMaxLifetime(30 * time.Minute)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return pool, nil
}

// isMariaDB tells MariaDB from MySQL by its version string.
func isMariaDB(ctx context.Context, g *gorm.DB) (bool, error) {
	var v string
	if err := g.WithContext(ctx).Raw("SELECT VERSION()").Scan(&v).Error; err != nil {
		return false, err
	}
	return strings.Contains(v, "MariaDB"), nil
}

// replica is the state of the read replica as reports see it.
type replica struct {
	pool   *sql.DB
	maxLag time.Duration
	every  time.Duration
	log    *slog.Logger

	up atomic.Bool // reads go to the replica

	mu      sync.Mutex
	next    time.Time // when the next check is due
	probing bool
	known   bool   // checked at least once
	reason  string // why it is down
}

// pick is the dbresolver policy: pools are [replica, primary].
func (r *replica) pick(pools []gorm.ConnPool) gorm.ConnPool {
	if r.up.Load() {
		return pools[0]
	}
	return pools[len(pools)-1]
}

// check reads the replica's heartbeat when a check is due (one caller
// at a time; the others go on with the state as it is).
func (r *replica) check(ctx context.Context) {
	r.mu.Lock()
	if r.probing || time.Now().Before(r.next) {
		r.mu.Unlock()
		return
	}
	r.probing = true
	r.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
	beat, err := r.heartbeat(pctx)
	cancel()
	r.mu.Lock()
	r.probing = false
	if err != nil && ctx.Err() != nil {
		// The caller left: that says nothing about the replica.
		r.mu.Unlock()
		return
	}
	r.next = time.Now().Add(r.every)
	r.mu.Unlock()
	r.observe(beat, err)
}

// suspect has the next Reports check the replica at once.
func (r *replica) suspect() {
	r.mu.Lock()
	r.next = time.Time{}
	r.mu.Unlock()
}

func (r *replica) heartbeat(ctx context.Context) (time.Time, error) {
	var beat time.Time
	err := r.pool.QueryRowContext(ctx, "SELECT beat_at FROM report_heartbeats WHERE id = 1").Scan(&beat)
	return beat, err
}

// observe records what a read of the heartbeat found and reports whether
// the replica is up. Only changes are logged: one WARN when it goes down,
// one INFO when it is back.
func (r *replica) observe(beat time.Time, err error) bool {
	reason := ""
	switch lag := time.Since(beat); {
	case err != nil:
		reason = "无法读取只读副本: " + err.Error()
	case lag > r.maxLag:
		reason = fmt.Sprintf("只读副本的数据落后主库 %s 以上（复制可能已停止，或没有实例在写心跳）", r.maxLag)
	}
	up := reason == ""
	r.mu.Lock()
	changed := !r.known || r.up.Load() != up
	r.known = true
	r.reason = reason
	r.up.Store(up)
	r.mu.Unlock()
	if changed {
		if up {
			r.log.Info("报表查询使用只读副本", "replica_as_of", beat)
		} else {
			r.log.Warn("只读副本不可用，考核统计等报表查询暂由主库执行（恢复后自动切回）", "reason", reason)
		}
	}
	return up
}

// RunReportsHeartbeat writes the heartbeat every HeartbeatEvery until ctx
// ends, and checks the replica after each period, so that its state is
// known (and logged) without waiting for a report; without a replica it
// returns at once. Every instance runs it: the conditional update lets
// one write per period, whichever comes first (the claim idiom of
// claim.go), so the binary log gets a beat a period however many
// instances there are.
func (d *DB) RunReportsHeartbeat(ctx context.Context) {
	r := d.rep.replica
	if r == nil {
		return
	}
	t := time.NewTicker(d.rep.every)
	defer t.Stop()
	for {
		if err := d.BeatReports(ctx); err != nil && ctx.Err() == nil {
			d.rep.log.Warn("写报表心跳失败", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.check(ctx)
	}
}

// BeatReports writes the heartbeat on the primary, unless another
// instance did within the last half period.
func (d *DB) BeatReports(ctx context.Context) error {
	now := d.gorm.NowFunc()
	return d.Conn(ctx).Exec("UPDATE report_heartbeats SET beat_at = ? WHERE id = 1 AND beat_at <= ?",
		now, now.Add(-d.rep.every/2)).Error
}
