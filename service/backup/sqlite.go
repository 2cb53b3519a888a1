package backup

import (
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/glebarez/sqlite"
)

// copySQLite copies the live database with VACUUM INTO: a consistent
// copy taken in one read transaction. It runs on a read-only connection
// of its own, so in WAL mode the service (one connection, which a copy
// on it would hold for the whole copy) goes on reading and writing; with
// no path it falls back to the service's connection. Then it counts the
// copy's rows and gzips it.
func copySQLite(ctx context.Context, src Source, dir string, m *Manifest) error {
	tmp := filepath.Join(dir, m.File+".vacuum")
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	abs, err := filepath.Abs(tmp)
	if err != nil {
		return err
	}
	if src.SQLitePath != "" {
		conn, err := sql.Open(sqlite.DriverName, "file:"+src.SQLitePath+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			return err
		}
		_, err = conn.ExecContext(ctx, "VACUUM INTO ?", abs)
		if cerr := conn.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("VACUUM INTO %s 失败: %w", tmp, err)
		}
	} else if err := src.DB.Conn(ctx).Exec("VACUUM INTO ?", abs).Error; err != nil {
		return fmt.Errorf("VACUUM INTO %s 失败: %w", tmp, err)
	}
	if m.Rows, err = countSQLite(ctx, abs); err != nil {
		return err
	}
	in, err := os.Open(abs) //nolint:gosec // our file
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := createHashing(filepath.Join(dir, m.File))
	if err != nil {
		return err
	}
	z, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression)
	if _, err := io.Copy(z, in); err != nil {
		return errors.Join(err, out.abort())
	}
	if err := z.Close(); err != nil {
		return errors.Join(err, out.abort())
	}
	return out.finish(m)
}

// countSQLite counts the rows of every table of a database file, opened
// read-only.
func countSQLite(ctx context.Context, path string) (map[string]int64, error) {
	conn, err := sql.Open(sqlite.DriverName, "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("读取 %s 的表清单: %w", path, err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&c); err != nil {
			return nil, fmt.Errorf("统计 %s 的行数: %w", n, err)
		}
		out[n] = c
	}
	return out, nil
}

// RestoreSQLite puts a backup in place as the database file path. The
// service must be stopped (it holds the file open); an existing file is
// replaced only with force, together with its -wal and -shm files (left
// there, they would be replayed into the restored database). The caller
// then runs the migrations.
func RestoreSQLite(ctx context.Context, path, file string, force bool) (Manifest, error) {
	m, data, err := ReadManifest(file)
	if err != nil {
		return m, err
	}
	if m.Backend != BackendSQLite {
		return m, fmt.Errorf("这是 %s 的备份，不能恢复到内嵌的 SQLite（恢复 MySQL 备份请设置 YV_MYSQL_DSN）", m.Backend)
	}
	if err := CheckSchema(m); err != nil {
		return m, err
	}
	if _, err := os.Stat(path); err == nil && !force {
		return m, fmt.Errorf("数据库文件 %s 已存在：先停止服务，确认要用备份覆盖它时加 --force", path)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return m, fmt.Errorf("创建数据目录失败（YV_DATA_DIR）: %w", err)
	}
	tmp := path + ".restore"
	defer os.Remove(tmp)
	in, err := gunzip(data)
	if err != nil {
		return m, err
	}
	defer in.Close()
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600) //nolint:gosec // beside the database
	if err != nil {
		return m, err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return m, fmt.Errorf("解压备份失败: %w", err)
	}
	if err := errors.Join(out.Sync(), out.Close()); err != nil {
		return m, err
	}
	abs, err := filepath.Abs(tmp)
	if err != nil {
		return m, err
	}
	got, err := countSQLite(ctx, abs)
	if err != nil {
		return m, err
	}
	if err := compareRows(m.Rows, got); err != nil {
		return m, err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return m, err
		}
	}
	return m, os.Rename(tmp, path)
}
