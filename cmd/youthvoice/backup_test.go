package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// TestBackupAndRestoreCommands: youthvoice backup writes the data file
// and its manifest; youthvoice restore puts it into an empty data
// directory (and refuses an existing database without --force), on
// SQLite always and on MariaDB when YV_TEST_MYSQL_DSN is set.
func TestBackupAndRestoreCommands(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		src := sandboxEnv(t)
		commandsRoundTrip(t, src, sandboxEnv(t), ".db.gz")
	})
	if os.Getenv(dbtest.EnvMySQL) == "" {
		return
	}
	t.Run("mysql", func(t *testing.T) {
		src := sandboxEnv(t).with(env{"YV_MYSQL_DSN": dbtest.NewMySQLDatabase(t)})
		commandsRoundTrip(t, src, sandboxEnv(t).with(env{"YV_MYSQL_DSN": dbtest.NewMySQLDatabase(t)}), ".sql.gz")
	})
}

// runLong is runCmd with room for a restore: loading, then migrating
// under the server-wide migration lock, which other test databases on a
// shared server may hold for a while.
func runLong(t *testing.T, e env, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err = run(ctx, args, e.get, &out, &errOut)
	return out.String(), errOut.String(), err
}

func commandsRoundTrip(t *testing.T, src, dst env, ext string) {
	if _, _, err := runLong(t, src, "migrate"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, _, err := runLong(t, src, "backup", dir)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "youthvoice-*"+ext))
	manifests, _ := filepath.Glob(filepath.Join(dir, "youthvoice-*.json"))
	if len(files) != 1 || len(manifests) != 1 || !strings.Contains(out, "备份完成") {
		t.Fatalf("backup printed %q and wrote %v %v", out, files, manifests)
	}
	if _, _, err := runLong(t, src, "backup", "--force", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("backup --force: %v, want a refusal", err)
	}
	if _, _, err := runLong(t, dst, "restore"); err == nil || !strings.Contains(err.Error(), "用法") {
		t.Fatalf("restore without a file: %v, want the usage", err)
	}
	out, _, err = runLong(t, dst, "restore", files[0])
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out, "恢复完成") {
		t.Fatalf("restore printed %q", out)
	}
	if _, _, err := runLong(t, dst, "restore", files[0]); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second restore: %v, want a refusal naming --force", err)
	}
	if _, _, err := runLong(t, dst, "restore", "--force", manifests[0]); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	// The restored database is migrated and complete.
	var db *model.DB
	if dsn := dst["YV_MYSQL_DSN"]; dsn != "" {
		db, err = model.OpenMySQL(context.Background(), dsn)
	} else {
		db, err = model.OpenSQLite(filepath.Join(dst["YV_DATA_DIR"], "youthvoice.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var unis int64
	if err := db.Conn(context.Background()).Model(&model.University{}).Count(&unis).Error; err != nil || unis != 166 {
		t.Fatalf("restored universities: %d, %v", unis, err)
	}
}
