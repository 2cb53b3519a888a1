package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/backup"
	"github.com/gdyouth/youthvoice/service/question"
)

// backupDir is where `youthvoice backup` writes without an argument.
func backupDir(cfg config.Config, args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return filepath.Join(cfg.DataDir, "backups")
}

// backupCmd is `youthvoice backup [DIR]`: a consistent copy of the
// database taken while the service runs (see service/backup).
func backupCmd(ctx context.Context, configFile string, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	dir := backupDir(b.cfg, args)
	start := time.Now()
	m, err := backup.Backup(ctx, backup.Source{DB: b.db, DSN: b.cfg.MySQLDSN, SQLitePath: sqlitePath(b.cfg)}, dir,
		backup.Options{AppVersion: version})
	if err != nil {
		return fmt.Errorf("备份失败: %w", err)
	}
	var rows int64
	for _, n := range m.Rows {
		rows += n
	}
	b.log.Info("backup written", "file", filepath.Join(dir, m.File), "schema_version", m.SchemaVersion,
		"tables", len(m.Rows), "rows", rows, "bytes", m.Size, "took", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "备份完成：%s（结构版本 %d，%d 张表共 %d 行，%d 字节，sha256 %s，用时 %s）\n",
		filepath.Join(dir, m.File), m.SchemaVersion, len(m.Rows), rows, m.Size, m.SHA256, time.Since(start).Round(time.Millisecond))
	return nil
}

func sqlitePath(cfg config.Config) string { return filepath.Join(cfg.DataDir, "youthvoice.db") }

// restoreCmd is `youthvoice restore [--force] FILE`: the backup into the
// configured database (empty, or --force), its row counts checked, then
// the migrations of this binary and the search index rebuilt.
func restoreCmd(ctx context.Context, configFile string, getenv func(string) string, file string, force bool, stdout, stderr io.Writer) error {
	cfg, err := config.Load(configFile, getenv)
	if err != nil {
		return err
	}
	start := time.Now()
	var m backup.Manifest
	if cfg.MySQLDSN != "" {
		m, err = backup.RestoreMySQL(ctx, cfg.MySQLDSN, file, force, backup.Options{})
	} else {
		m, err = backup.RestoreSQLite(ctx, sqlitePath(cfg), file, force)
	}
	if err != nil {
		return fmt.Errorf("恢复失败: %w", err)
	}
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	// The search index is outside the MySQL dump's snapshot (Mroonga) and
	// is rebuilt from the restored questions; on SQLite this is a check.
	n, err := question.RebuildSearch(ctx, b.db)
	if err != nil {
		return fmt.Errorf("恢复后重建搜索索引失败（可再运行 youthvoice search rebuild）: %w", err)
	}
	fmt.Fprintf(stdout, "恢复完成：%s（备份时结构版本 %d，现为 %d；%d 张表行数与清单一致；搜索索引 %d 个问题），用时 %s\n",
		file, m.SchemaVersion, model.LatestVersion(), len(m.Rows), n, time.Since(start).Round(time.Millisecond))
	return nil
}
