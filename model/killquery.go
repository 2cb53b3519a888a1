package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// go-sql-driver/mysql answers a cancelled context by closing the
// connection, and that is all: MySQL and MariaDB notice a vanished client
// only when they next write to it, so a report grouping a million rows
// runs to its end (TestCancelledQueryKeepsRunning shows it). The report
// pools therefore wrap the driver: a statement whose context ends while
// it runs is stopped on its server with KILL QUERY, sent on a connection
// of its own, as the mysql client does on Ctrl-C.
//
// KILL names a server connection, not a statement, so it must never reach
// a connection that has moved on to another statement. A statement arms
// the kill when it starts and disarms it when it ends (its rows closed),
// before database/sql may hand the connection to anyone else; a kill
// that fired in between has marked the connection spent by then, and the
// pool discards it rather than reuse it (IsValid, ResetSession).

// SQLite has the same gap: its driver (glebarez/go-sqlite) interrupts a
// statement whose context ends only while preparing it, not while it
// steps through the rows, where the work is. Wrapped the same way, a
// report statement on SQLite is stopped with sqlite3_interrupt.

// killConnector makes connections that stop their statement on the
// server when its context ends.
type killConnector struct {
	inner driver.Connector
	log   *slog.Logger
	// sqlite: interrupt in process instead of KILL QUERY, and only report
	// statements (the pool is the application's only one).
	sqlite bool
	warned sync.Once
}

func (c *killConnector) Driver() driver.Driver { return c.inner.Driver() }

func (c *killConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if c.sqlite {
		if _, ok := sqliteHandle(conn); !ok {
			c.warned.Do(func() {
				c.log.Warn("SQLite 驱动与预期不同：报表语句超过时限或被取消时无法中途停止", "driver", fmt.Sprintf("%T", conn))
			})
		}
		return &killConn{inner: conn, connector: c}, nil
	}
	id, err := connectionID(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &killConn{inner: conn, id: id, connector: c}, nil
}

// reportKey marks the context of a report statement (DB.Reports).
type reportKey struct{}

// killTimeout bounds sending one KILL QUERY (connecting included).
const killTimeout = 5 * time.Second

// kill stops the statement conn is running.
func (c *killConnector) kill(conn *killConn) {
	if c.sqlite {
		conn.interrupt()
		return
	}
	c.killQuery(conn.id)
}

// killQuery stops the statement the server connection id is running.
func (c *killConnector) killQuery(id uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	err := func() error {
		conn, err := c.inner.Connect(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		ex, ok := conn.(driver.ExecerContext)
		if !ok {
			return errors.New("driver cannot execute statements")
		}
		_, err = ex.ExecContext(ctx, "KILL QUERY "+strconv.FormatUint(id, 10), nil)
		return err
	}()
	if err != nil {
		c.log.Warn("取消的报表查询未能在数据库上停止（KILL QUERY 失败），它将运行到语句时限为止",
			"connection_id", id, "err", err)
	}
}

func connectionID(ctx context.Context, conn driver.Conn) (uint64, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return 0, errors.New("driver cannot run queries")
	}
	rows, err := q.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return 0, fmt.Errorf("SELECT CONNECTION_ID(): %w", err)
	}
	defer rows.Close()
	v := make([]driver.Value, 1)
	if err := rows.Next(v); err != nil {
		return 0, fmt.Errorf("SELECT CONNECTION_ID(): %w", err)
	}
	switch id := v[0].(type) {
	case int64:
		return uint64(id), nil
	case uint64:
		return id, nil
	case []byte:
		return strconv.ParseUint(string(id), 10, 64)
	}
	return 0, fmt.Errorf("SELECT CONNECTION_ID() returned %T", v[0])
}

// killConn is one connection of a report pool.
type killConn struct {
	inner     driver.Conn
	id        uint64
	connector *killConnector

	mu     sync.Mutex
	killed bool // a KILL QUERY was sent: never reuse
	closed bool
}

// sqliteHandle is the sqlite3* of a glebarez/go-sqlite connection, which
// the driver keeps to itself: read through reflection, which fails
// closed (false) if the driver's connection is not what it was.
func sqliteHandle(conn driver.Conn) (uintptr, bool) {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct || v.Elem().Type().PkgPath() != "github.com/glebarez/go-sqlite" {
		return 0, false
	}
	f := v.Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Uintptr || f.Uint() == 0 {
		return 0, false
	}
	return uintptr(f.Uint()), true
}

// interrupt stops the SQLite statement running on c. sqlite3_interrupt is
// meant to be called from another thread; the lock keeps it off a
// connection being closed.
func (c *killConn) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	db, ok := sqliteHandle(c.inner)
	if !ok {
		return
	}
	tls := libc.NewTLS()
	defer tls.Close()
	sqlite3.Xsqlite3_interrupt(tls, db)
}

// watch arms the kill for a statement running under ctx; the returned
// func disarms it and must be called once the statement is over (rows
// closed), before the connection can go back to the pool.
func (c *killConn) watch(ctx context.Context) (done func()) {
	if ctx.Done() == nil || (c.connector.sqlite && ctx.Value(reportKey{}) == nil) {
		return func() {}
	}
	decided := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		kill := !c.killed
		c.killed = true
		c.mu.Unlock()
		close(decided)
		if kill {
			c.connector.kill(c)
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			if !stop() {
				// The kill has fired: wait until the connection is
				// marked spent, so that the pool discards it.
				<-decided
				return
			}
			// The driver notices the cancellation too, closes the
			// connection and ends the statement, often before the
			// AfterFunc has run: then the kill is sent from here.
			if ctx.Err() != nil {
				c.mu.Lock()
				kill := !c.killed
				c.killed = true
				c.mu.Unlock()
				if kill {
					go c.connector.kill(c)
				}
			}
		})
	}
}

func (c *killConn) spent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.killed
}

func (c *killConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *killConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &killStmt{inner: st, conn: c}, nil
}

func (c *killConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.inner.Close()
}

func (c *killConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *killConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.inner.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("driver does not support transaction options")
}

func (c *killConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.watch(ctx)
	rows, err := q.QueryContext(ctx, query, args)
	if err != nil {
		done()
		return nil, err
	}
	return &killRows{inner: rows, done: done, ctx: ctx}, nil
}

func (c *killConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	done := c.watch(ctx)
	defer done()
	return ex.ExecContext(ctx, query, args)
}

func (c *killConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *killConn) ResetSession(ctx context.Context) error {
	if c.spent() {
		return driver.ErrBadConn
	}
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *killConn) IsValid() bool {
	if c.spent() {
		return false
	}
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *killConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.inner.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// killStmt is a prepared statement of a killConn (database/sql prepares
// when the driver cannot interpolate the arguments).
type killStmt struct {
	inner driver.Stmt
	conn  *killConn
}

func (s *killStmt) Close() error  { return s.inner.Close() }
func (s *killStmt) NumInput() int { return s.inner.NumInput() }

func (s *killStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *killStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

func (s *killStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("driver statement cannot take a context")
	}
	done := s.conn.watch(ctx)
	rows, err := q.QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, err
	}
	return &killRows{inner: rows, done: done, ctx: ctx}, nil
}

func (s *killStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("driver statement cannot take a context")
	}
	done := s.conn.watch(ctx)
	defer done()
	return ex.ExecContext(ctx, args)
}

func (s *killStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.inner.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// killRows keeps the kill armed until the result is read or abandoned:
// the server may still be computing it after the first packets arrived.
type killRows struct {
	inner driver.Rows
	done  func()
	ctx   context.Context
}

func (r *killRows) Columns() []string { return r.inner.Columns() }

func (r *killRows) Next(dest []driver.Value) error {
	err := r.inner.Next(dest)
	if err != nil && !errors.Is(err, io.EOF) && r.ctx.Err() != nil {
		// Stopped because the context ended (SQLite says "interrupted"):
		// say why.
		return fmt.Errorf("%w (%v)", r.ctx.Err(), err)
	}
	return err
}

func (r *killRows) Close() error {
	err := r.inner.Close()
	r.done()
	return err
}

func (r *killRows) HasNextResultSet() bool {
	if n, ok := r.inner.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *killRows) NextResultSet() error {
	if n, ok := r.inner.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return errors.New("no next result set")
}

func (r *killRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *killRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *killRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *killRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.inner.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *killRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// openSQLitePool opens the SQLite driver's pool through a killConnector.
func openSQLitePool(dsn string, log *slog.Logger) (*sql.DB, error) {
	// The driver registered under "sqlite", with its functions.
	reg, err := sql.Open(sqlite.DriverName, "")
	if err != nil {
		return nil, err
	}
	d := reg.Driver()
	_ = reg.Close()
	return sql.OpenDB(&killConnector{inner: dsnConnector{d: d, dsn: dsn}, log: log, sqlite: true}), nil
}

// dsnConnector is a driver and a DSN as a driver.Connector.
type dsnConnector struct {
	d   driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }
