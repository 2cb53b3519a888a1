// Package model holds the persistent entities, the database handle and the
// versioned migrations. Services query through DB.Conn so that every query
// carries the caller's context and joins the caller's transaction.
package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// DB is the application's database handle.
type DB struct {
	gorm    *gorm.DB
	dialect Dialect
	rep     *reports     // the handle for heavy reads (reports.go)
	engine  atomic.Int32 // searchEngine, found on first use (search.go)
}

type txKey struct{}

// txState is the transaction a context carries. failed is the error of
// the first nested WithTx whose fn failed: the transaction was rolled
// back then, so nothing the outer fn does afterwards can commit.
type txState struct {
	tx     *gorm.DB
	mu     sync.Mutex
	failed error
}

// abort rolls the transaction back at once (gitea's db.WithTx does the
// same): an outer fn that swallows err must not commit what came before.
func (st *txState) abort(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failed != nil {
		return
	}
	st.failed = err
	if c, ok := st.tx.Statement.ConnPool.(gorm.TxCommitter); ok && c != nil {
		_ = c.Rollback() // the outer Transaction's own rollback then finds it done
	}
}

// err is the rollback's cause, wrapped, or nil while the transaction holds.
func (st *txState) err() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failed == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrTxRolledBack, st.failed)
}

// ErrTxRolledBack is returned by a WithTx whose transaction a nested
// WithTx rolled back (its fn failed), even though the outer fn ignored
// that failure; it wraps the nested error.
var ErrTxRolledBack = errors.New("事务已回滚：其中一步失败")

// Dialect reports the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Conn returns the transaction bound to ctx, or the pool bound to ctx.
func (d *DB) Conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx
	}
	return d.gorm.WithContext(ctx)
}

// ForUpdate is Conn for a read the transaction of ctx goes on to write
// from: on MySQL the rows read are locked until it ends (SELECT … FOR
// UPDATE), and they are the latest committed ones, not the transaction's
// snapshot. SQLite needs no lock: its single connection runs one
// transaction at a time. Outside a transaction it is Conn.
func (d *DB) ForUpdate(ctx context.Context) *gorm.DB {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return d.gorm.WithContext(ctx)
	}
	if d.dialect == MySQL {
		return st.tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	return st.tx
}

// WithTx runs fn in a transaction. When ctx already carries a transaction,
// fn joins it, so services compose without nesting transactions; if the
// joined fn fails, the whole transaction is rolled back there and then,
// and the outermost WithTx returns an error (ErrTxRolledBack) even when
// the code between ignored the failure. A WithTx joining a transaction
// already rolled back does not run fn.
func (d *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		if err := st.err(); err != nil {
			return err
		}
		if err := fn(ctx); err != nil {
			st.abort(err)
			return err
		}
		return nil
	}
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st := &txState{tx: tx}
		if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
			return err
		}
		return st.err()
	})
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the pools.
func (d *DB) Close() error {
	if d.rep != nil {
		d.rep.close()
	}
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// OpenSQLite opens (creating if needed) the embedded database file.
func OpenSQLite(path string) (*DB, error) { return OpenSQLiteWith(path, Options{}) }

// OpenSQLiteWith is OpenSQLite with options (the report time limit).
func OpenSQLiteWith(path string, o Options) (*DB, error) {
	o = o.withDefaults()
	if o.ReplicaDSN != "" {
		return nil, errors.New("只读副本（YV_MYSQL_REPLICA_DSN）需要 MySQL 主库（YV_MYSQL_DSN）")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("创建数据目录失败（YV_DATA_DIR）: %w", err)
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	// Through killConnector, so that a report statement past its deadline
	// is interrupted (the driver alone does not while it steps).
	sqlDB, err := openSQLitePool(dsn, o.Log)
	if err != nil {
		return nil, fmt.Errorf("打开 SQLite 数据库 %s 失败: %w", path, err)
	}
	g, err := gorm.Open(&sqlite.Dialector{Conn: sqlDB}, gormConfig())
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("打开 SQLite 数据库 %s 失败: %w", path, err)
	}
	// SQLite has one writer; a single connection serialises all access and
	// avoids SQLITE_BUSY on lock upgrades.
	sqlDB.SetMaxOpenConns(1)
	db := &DB{gorm: g, dialect: SQLite}
	if err := db.Ping(context.Background()); err != nil {
		return nil, fmt.Errorf("SQLite 数据库 %s 无法使用: %w", path, err)
	}
	if db.rep, err = openSQLiteReports(sqlDB, o); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("SQLite 数据库 %s 无法使用: %w", path, err)
	}
	return db, nil
}

// OpenMySQL connects to MySQL or MariaDB and checks that it answers.
func OpenMySQL(ctx context.Context, dsn string) (*DB, error) {
	return OpenMySQLWith(ctx, dsn, Options{})
}

// OpenMySQLWith is OpenMySQL with options: the report time limit and the
// read replica. A replica that does not answer does not stop it: reports
// use the primary until the replica is up (one WARN).
func OpenMySQLWith(ctx context.Context, dsn string, o Options) (*DB, error) {
	o = o.withDefaults()
	cfg := mysql.Config{DSN: withMySQLDefaults(dsn)}
	g, err := gorm.Open(mysql.New(cfg), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("连接 MySQL 失败（YV_MYSQL_DSN）: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(64)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	db := &DB{gorm: g, dialect: MySQL}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("MySQL 无法连接（YV_MYSQL_DSN）: %w", err)
	}
	mariadb, err := isMariaDB(pctx, g)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("MySQL 无法使用（YV_MYSQL_DSN）: %w", err)
	}
	if db.rep, err = openMySQLReports(dsn, mariadb, o); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                                   logger.Discard,
		DisableForeignKeyConstraintWhenMigrating: true,
		TranslateError:                           true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
	}
}
