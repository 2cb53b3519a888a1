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

	"github.com/go-sql-driver/mysql"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"

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
