package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
)

const callbackPath = "/wechat/callback"

// summarize counts log lines by message, one per report line.
func summarize(lines []benchproc.LogLine) string {
	ss := make([]string, len(lines))
	for i, l := range lines {
		ss[i] = l.String()
	}
	var b strings.Builder
	for _, l := range benchproc.CountLines(ss) {
		b.WriteString("\n      " + l)
	}
	return b.String()
}

// benchDB is a database created for one bench run and dropped after it.
type benchDB struct {
	admin *sql.DB
	name  string
	dsn   string // for the project (YV_MYSQL_DSN)
	db    *sql.DB
}

func createBenchDB(ctx context.Context, adminDSN string) (*benchDB, error) {
	cfg, err := mysql.ParseDSN(adminDSN)
	if err != nil {
		return nil, fmt.Errorf("-mysql %q: %w", adminDSN, err)
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("MariaDB at %s does not answer (is it running? see .ci/run): %w", cfg.Addr, err)
	}
	name := fmt.Sprintf("yv_bench_%d_%04x", os.Getpid(), randUint64()&0xffff)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return nil, fmt.Errorf("creating the bench database: %w", err)
	}
	cfg.DBName = name
	cfg.ParseTime = true
	b := &benchDB{admin: admin, name: name, dsn: cfg.FormatDSN()}
	if b.db, err = sql.Open("mysql", b.dsn); err != nil {
		b.drop()
		return nil, err
	}
	return b, nil
}

// interactions counts the recorded interactions.
func (b *benchDB) interactions(ctx context.Context) (int64, error) {
	var n int64
	err := b.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM interactions").Scan(&n)
	return n, err
}

// settle waits until the interaction count stops moving (the recorder
// flushes every 200 ms) and returns it.
func (b *benchDB) settle(ctx context.Context) (int64, error) {
	last, err := b.interactions(ctx)
	if err != nil {
		return 0, err
	}
	stable := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		n, err := b.interactions(ctx)
		if err != nil {
			return 0, err
		}
		if n == last {
			if stable++; stable >= 2 {
				return n, nil
			}
			continue
		}
		last, stable = n, 0
	}
	return last, errors.New("the interaction count was still changing after 60s")
}

func (b *benchDB) drop() {
	if b.db != nil {
		b.db.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+b.name+"`"); err != nil {
		fmt.Fprintf(os.Stderr, "wxbench: dropping database %s: %v\n", b.name, err)
	}
	b.admin.Close()
}
