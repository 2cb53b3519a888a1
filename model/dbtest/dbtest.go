// Package dbtest gives tests a freshly migrated database on every backend
// the run has: SQLite always, MariaDB/MySQL when YV_TEST_MYSQL_DSN is set.
// A configured backend that does not answer fails the test; it is never
// skipped.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gdyouth/youthvoice/model"
)

// EnvMySQL names the variable holding an admin DSN for test databases.
const EnvMySQL = "YV_TEST_MYSQL_DSN"

// Each runs fn as a subtest per backend ("sqlite", "mysql").
func Each(t *testing.T, fn func(t *testing.T, db *model.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvMySQL) != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
	}
}

// SQLite returns a migrated database in a temporary file.
func SQLite(t testing.TB) *model.DB {
	t.Helper()
	db, err := model.OpenSQLite(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// MySQL creates a fresh database on the server named by YV_TEST_MYSQL_DSN,
// migrates it and drops it when the test ends.
func MySQL(t testing.TB) *model.DB {
	t.Helper()
	dsn := NewMySQLDatabase(t)
	db, err := model.OpenMySQL(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate mysql: %v", err)
	}
	return db
}

// NewMySQLDatabase creates an empty database and returns its DSN; the
// database is dropped at cleanup.
func NewMySQLDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvMySQL)
	if admin == "" {
		t.Fatalf("%s is not set", EnvMySQL)
	}
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	g, err := gorm.Open(gmysql.Open(admin), &gorm.Config{})
	if err != nil {
		t.Fatalf("connect %s: %v", EnvMySQL, err)
	}
	sqlDB, _ := g.DB()
	defer sqlDB.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "yvt_" + hex.EncodeToString(b)
	if err := g.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").Error; err != nil {
		t.Fatalf("create test database (is MariaDB running? %s): %v", EnvMySQL, err)
	}
	t.Cleanup(func() {
		g, err := gorm.Open(gmysql.Open(admin), &gorm.Config{})
		if err != nil {
			return
		}
		g.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		if s, err := g.DB(); err == nil {
			s.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// The replication pair .ci/run starts for the replica tests: admin DSNs of
// a primary and of its binlog replica.
const (
	EnvReplicaPrimary = "YV_TEST_REPLICA_PRIMARY_DSN"
	EnvReplica        = "YV_TEST_REPLICA_DSN"
)

// ReplicaPair creates an empty database on the pair's primary, waits until
// the replica has it too, and returns the DSN of that database on each
// server; it is dropped at cleanup (the drop replicates). Without the pair
// the test is skipped, except under CI (CI=true), where it fails: CI
// always starts the pair.
func ReplicaPair(t testing.TB) (primary, replica string) {
	t.Helper()
	pAdmin, rAdmin := os.Getenv(EnvReplicaPrimary), os.Getenv(EnvReplica)
	if pAdmin == "" || rAdmin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s and %s must be set under CI (.ci/run starts the replication pair)", EnvReplicaPrimary, EnvReplica)
		}
		t.Skipf("%s / %s not set: no replication pair (bash .ci/replica.sh start)", EnvReplicaPrimary, EnvReplica)
	}
	pcfg, err := mysql.ParseDSN(pAdmin)
	if err != nil {
		t.Fatalf("%s: %v", EnvReplicaPrimary, err)
	}
	rcfg, err := mysql.ParseDSN(rAdmin)
	if err != nil {
		t.Fatalf("%s: %v", EnvReplica, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "yvr_" + hex.EncodeToString(b)
	p := adminConn(t, pAdmin, EnvReplicaPrimary)
	if err := p.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").Error; err != nil {
		t.Fatalf("create %s on the replication primary (%s): %v", name, EnvReplicaPrimary, err)
	}
	// Cleanups run last-in first-out: p is still open here.
	t.Cleanup(func() { p.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	r := adminConn(t, rAdmin, EnvReplica)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		if err := r.Raw("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n).Error; err != nil {
			t.Fatalf("replica (%s): %v", EnvReplica, err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database %s created on the primary did not reach the replica in 10 s: is replication running (SHOW SLAVE STATUS on %s)?", name, EnvReplica)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pcfg.DBName, rcfg.DBName = name, name
	return pcfg.FormatDSN(), rcfg.FormatDSN()
}

// adminConn opens dsn for the test's duration.
func adminConn(t testing.TB, dsn, env string) *gorm.DB {
	t.Helper()
	g, err := gorm.Open(gmysql.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect %s: %v", env, err)
	}
	sqlDB, _ := g.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return g
}
