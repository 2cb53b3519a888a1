// Package backup makes and restores consistent copies of the database
// while the service runs (issue 24 item 2).
//
//   - MariaDB/MySQL: mariadb-dump (or mysqldump) with --single-transaction,
//     one consistent InnoDB snapshot without locking. Tables of other
//     engines are not in that snapshot: the only one, the Mroonga search
//     index question_search (MariaDB), is dumped as schema only and rebuilt
//     from the questions after a restore (question.RebuildSearch); any
//     other non-InnoDB table stops the backup rather than copy it
//     inconsistently. The credentials go to the client in a temporary
//     defaults file (0600, removed afterwards), never on its command line.
//   - SQLite: VACUUM INTO, SQLite's online copy, from the running
//     service's own connection.
//
// A backup is two files in one directory: the data (name.sql.gz or
// name.db.gz, gzip) and its manifest (name.json: schema and app versions,
// rows per table, sha256 of the data file). The manifest is written last,
// so a backup without one is incomplete. Restore checks the sha256 before
// loading anything and the row counts after.
package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// Backends named in a manifest.
const (
	BackendMySQL  = "mysql"
	BackendSQLite = "sqlite"
)

// FormatVersion is the manifest's layout; Restore refuses others.
const FormatVersion = 1

// rebuildable are the tables a MySQL backup holds as schema only because
// they are outside the InnoDB snapshot, each rebuilt after a restore.
var rebuildable = []string{"question_search"}

// Manifest describes one backup.
type Manifest struct {
	Format        int              `json:"format"`
	Backend       string           `json:"backend"`
	SchemaVersion int              `json:"schema_version"`
	AppVersion    string           `json:"app_version"`
	CreatedAt     time.Time        `json:"created_at"`
	File          string           `json:"file"` // the data file's base name
	Size          int64            `json:"size"`
	SHA256        string           `json:"sha256"`
	Rows          map[string]int64 `json:"rows"`
	// SchemaOnly lists the tables whose rows are not in the backup: they
	// are rebuilt after a restore.
	SchemaOnly []string `json:"schema_only,omitempty"`
}

// Source is the database to back up: the service's handle, and the DSN
// (MySQL) or file (SQLite) the copy connects to on its own.
type Source struct {
	DB         *model.DB
	DSN        string
	SQLitePath string
}

// Options of a backup or restore.
type Options struct {
	AppVersion string
	// Now stamps the backup (default time.Now).
	Now func() time.Time
	// Dump and Client override the MySQL client programs (default: the
	// first of mariadb-dump, mysqldump / mariadb, mysql on PATH).
	Dump, Client string
}

// Backup writes a backup of src into dir and returns its manifest; the
// data file is dir/manifest.File.
func Backup(ctx context.Context, src Source, dir string, o Options) (Manifest, error) {
	if src.DB == nil {
		return Manifest{}, errors.New("backup: no database")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Manifest{}, fmt.Errorf("创建备份目录 %s 失败: %w", dir, err)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	m := Manifest{Format: FormatVersion, AppVersion: o.AppVersion, CreatedAt: now().UTC().Truncate(time.Second)}
	var err error
	if m.SchemaVersion, err = schemaVersion(ctx, src.DB); err != nil {
		return m, err
	}
	base := fmt.Sprintf("youthvoice-%s-schema%d", m.CreatedAt.Format("20060102T150405Z"), m.SchemaVersion)
	if src.DB.Dialect() == model.MySQL {
		m.Backend = BackendMySQL
		m.File = base + ".sql.gz"
		err = dumpMySQL(ctx, src, dir, &m, o)
	} else {
		m.Backend = BackendSQLite
		m.File = base + ".db.gz"
		err = copySQLite(ctx, src, dir, &m)
	}
	if err != nil {
		return m, err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := writeFileAtomic(filepath.Join(dir, base+".json"), append(raw, '\n')); err != nil {
		return m, err
	}
	return m, nil
}

func schemaVersion(ctx context.Context, db *model.DB) (int, error) {
	vs, err := db.AppliedVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("读取数据库结构版本: %w", err)
	}
	if len(vs) == 0 {
		return 0, errors.New("数据库尚未迁移（没有 schema_migrations 记录），没有可备份的数据")
	}
	return vs[len(vs)-1], nil
}

// ManifestPath finds the manifest of a backup given its data file or the
// manifest itself.
func ManifestPath(file string) string {
	for _, ext := range []string{".sql.gz", ".db.gz"} {
		if strings.HasSuffix(file, ext) {
			return strings.TrimSuffix(file, ext) + ".json"
		}
	}
	return file
}

// ReadManifest reads and checks a backup's manifest and the sha256 of its
// data file, and returns the manifest and the data file's path.
func ReadManifest(file string) (Manifest, string, error) {
	var m Manifest
	mp := ManifestPath(file)
	raw, err := os.ReadFile(mp)
	if err != nil {
		return m, "", fmt.Errorf("读取备份清单 %s 失败（备份不完整？）: %w", mp, err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, "", fmt.Errorf("备份清单 %s 无法解析: %w", mp, err)
	}
	if m.Format != FormatVersion {
		return m, "", fmt.Errorf("备份清单 %s 的格式 %d 不受支持（本程序为 %d）", mp, m.Format, FormatVersion)
	}
	if m.File == "" || filepath.Base(m.File) != m.File {
		return m, "", fmt.Errorf("备份清单 %s 的数据文件名无效", mp)
	}
	data := filepath.Join(filepath.Dir(mp), m.File)
	sum, size, err := hashFile(data)
	if err != nil {
		return m, "", fmt.Errorf("读取备份数据 %s 失败: %w", data, err)
	}
	if sum != m.SHA256 || size != m.Size {
		return m, "", fmt.Errorf("备份数据 %s 已损坏：sha256 或大小与清单不符", data)
	}
	return m, data, nil
}

// CheckSchema refuses a backup from a schema newer than this binary's.
func CheckSchema(m Manifest) error {
	if m.SchemaVersion > model.LatestVersion() {
		return fmt.Errorf("备份的数据库结构版本 %d 比本程序支持的 %d 新：请用更新的程序恢复", m.SchemaVersion, model.LatestVersion())
	}
	return nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path) //nolint:gosec // the operator names the backup
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// hashingFile is a file being written with its sha256 and size.
type hashingFile struct {
	f    *os.File
	path string // final name; f is path + ".partial"
	h    io.Writer
	sum  func() string
	n    int64
	buf  *bufio.Writer
}

func createHashing(path string) (*hashingFile, error) {
	f, err := os.OpenFile(path+".partial", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) //nolint:gosec // path is ours
	if err != nil {
		return nil, fmt.Errorf("创建备份文件失败: %w", err)
	}
	h := sha256.New()
	hf := &hashingFile{f: f, path: path, h: h, sum: func() string { return hex.EncodeToString(h.Sum(nil)) }}
	hf.buf = bufio.NewWriterSize(io.MultiWriter(f, h), 256<<10)
	return hf, nil
}

func (w *hashingFile) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	w.n += int64(n)
	return n, err
}

// finish flushes, syncs and renames the file into place.
func (w *hashingFile) finish(m *Manifest) error {
	if err := w.buf.Flush(); err != nil {
		return errors.Join(err, w.abort())
	}
	if err := w.f.Sync(); err != nil {
		return errors.Join(err, w.abort())
	}
	if err := w.f.Close(); err != nil {
		return errors.Join(err, os.Remove(w.f.Name()))
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return errors.Join(err, os.Remove(w.f.Name()))
	}
	m.SHA256, m.Size = w.sum(), w.n
	return nil
}

func (w *hashingFile) abort() error {
	_ = w.f.Close()
	return os.Remove(w.f.Name())
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".partial"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// gunzip opens a gzip'd file for reading.
func gunzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path) //nolint:gosec // checked against the manifest
	if err != nil {
		return nil, err
	}
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("备份数据不是 gzip 文件: %w", err)
	}
	return &readCloser{Reader: z, close: func() error { return errors.Join(z.Close(), f.Close()) }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }

// compareRows checks the restored row counts against the manifest's.
func compareRows(want, got map[string]int64) error {
	var bad []string
	for t, n := range want {
		if got[t] != n {
			bad = append(bad, fmt.Sprintf("%s: 清单 %d 行，恢复后 %d 行", t, n, got[t]))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("恢复后的行数与备份清单不符：%s", strings.Join(bad, "；"))
	}
	return nil
}
