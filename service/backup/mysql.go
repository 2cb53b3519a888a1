package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// dumpFlags make the dump consistent without stopping the service
// (--single-transaction: one InnoDB snapshot, no table locks), streamed
// row by row (--quick), complete (routines, triggers) and byte-exact
// (--hex-blob, utf8mb4).
var dumpFlags = []string{
	"--single-transaction", "--quick", "--routines", "--triggers", "--hex-blob",
	"--default-character-set=utf8mb4", "--no-tablespaces",
}

// findProgram returns the first of names on PATH, or override.
func findProgram(override string, names ...string) (string, error) {
	if override != "" {
		return override, nil
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("找不到 %s：请安装 MariaDB 客户端（Debian: apt-get install mariadb-client）", strings.Join(names, " 或 "))
}

// defaultsFile writes the connection settings of dsn to a client options
// file readable by this user only; remove it with the returned func. The
// password never appears on a command line (ps shows those) or in a log.
func defaultsFile(dsn string) (path, db string, remove func(), err error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", "", nil, fmt.Errorf("YV_MYSQL_DSN 无法解析: %w", err)
	}
	if cfg.DBName == "" {
		return "", "", nil, errors.New("YV_MYSQL_DSN 没有指定数据库名")
	}
	var b strings.Builder
	b.WriteString("[client]\n")
	for k, v := range map[string]string{"user": cfg.User, "password": cfg.Passwd} {
		if strings.ContainsAny(v, "\n\r") {
			return "", "", nil, fmt.Errorf("YV_MYSQL_DSN 的 %s 含换行，客户端无法使用", k)
		}
	}
	fmt.Fprintf(&b, "user=%s\n", optionValue(cfg.User))
	fmt.Fprintf(&b, "password=%s\n", optionValue(cfg.Passwd))
	switch cfg.Net {
	case "unix":
		fmt.Fprintf(&b, "socket=%s\nprotocol=SOCKET\n", optionValue(cfg.Addr))
	default:
		host, port := cfg.Addr, "3306"
		if i := strings.LastIndex(cfg.Addr, ":"); i >= 0 {
			host, port = cfg.Addr[:i], cfg.Addr[i+1:]
		}
		host = strings.Trim(host, "[]")
		fmt.Fprintf(&b, "host=%s\nport=%s\nprotocol=TCP\n", optionValue(host), optionValue(port))
	}
	switch cfg.TLSConfig {
	case "", "false":
	case "true":
		b.WriteString("ssl\nssl-verify-server-cert\n")
	case "skip-verify", "preferred":
		b.WriteString("ssl\n")
	default:
		return "", "", nil, fmt.Errorf("YV_MYSQL_DSN 的 tls=%s 不能交给 mariadb 客户端：备份请使用 tls=true 或 skip-verify", cfg.TLSConfig)
	}
	f, err := os.CreateTemp("", "youthvoice-client-*.cnf") // created 0600
	if err != nil {
		return "", "", nil, err
	}
	remove = func() { _ = os.Remove(f.Name()) }
	if _, err := f.WriteString(b.String()); err != nil {
		_ = f.Close()
		remove()
		return "", "", nil, err
	}
	if err := f.Close(); err != nil {
		remove()
		return "", "", nil, err
	}
	return f.Name(), cfg.DBName, remove, nil
}

// optionValue quotes a value for an option file (backslash escapes are
// read inside double quotes).
func optionValue(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// stderrTail keeps the end of a client's error output for the message.
type stderrTail struct{ b bytes.Buffer }

func (s *stderrTail) Write(p []byte) (int, error) {
	s.b.Write(p)
	if s.b.Len() > 4096 {
		s.b.Next(s.b.Len() - 4096)
	}
	return len(p), nil
}

func (s *stderrTail) String() string { return strings.TrimSpace(s.b.String()) }

// tables lists the base tables of the DSN's database and their engines.
func tables(ctx context.Context, conn *sql.DB) (map[string]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_NAME, COALESCE(ENGINE, '') FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return nil, err
		}
		out[name] = engine
	}
	return out, rows.Err()
}

func dumpMySQL(ctx context.Context, src Source, dir string, m *Manifest, o Options) error {
	dump, err := findProgram(o.Dump, "mariadb-dump", "mysqldump")
	if err != nil {
		return err
	}
	conn, err := sql.Open("mysql", src.DSN)
	if err != nil {
		return fmt.Errorf("YV_MYSQL_DSN: %w", err)
	}
	defer conn.Close()
	engines, err := tables(ctx, conn)
	if err != nil {
		return fmt.Errorf("读取表清单: %w", err)
	}
	cnf, db, remove, err := defaultsFile(src.DSN)
	if err != nil {
		return err
	}
	defer remove()
	// --defaults-extra-file must come first.
	args := append([]string{"--defaults-extra-file=" + cnf}, dumpFlags...)
	m.Rows = map[string]int64{}
	for t, engine := range engines {
		if strings.EqualFold(engine, "InnoDB") {
			m.Rows[t] = 0
			continue
		}
		if !slices.Contains(rebuildable, t) {
			return fmt.Errorf("表 %s 的存储引擎是 %s，不在 --single-transaction 的一致快照中，备份无法保证一致：请改为 InnoDB", t, engine)
		}
		m.SchemaOnly = append(m.SchemaOnly, t)
		args = append(args, "--ignore-table-data="+db+"."+t)
	}
	slices.Sort(m.SchemaOnly)
	args = append(args, db)

	out, err := createHashing(dir + string(os.PathSeparator) + m.File)
	if err != nil {
		return err
	}
	z, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression)
	counter := &insertCounter{rows: m.Rows}
	cmd := exec.CommandContext(ctx, dump, args...) //nolint:gosec // the program and flags are ours
	cmd.Stdout = io.MultiWriter(z, counter)
	var stderr stderrTail
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return errors.Join(fmt.Errorf("%s 失败: %w: %s", dump, err, stderr.String()), out.abort())
	}
	if err := z.Close(); err != nil {
		return errors.Join(err, out.abort())
	}
	if !counter.complete() {
		return errors.Join(fmt.Errorf("%s 的输出不完整（没有结束标记）", dump), out.abort())
	}
	return out.finish(m)
}

// insertCounter counts the rows of a dump's INSERT statements, table by
// table, as the dump streams past: the manifest's counts are those of
// the snapshot the dump read, not of the live tables a moment later.
// A dump's statements start on a line of their own; an INSERT is
// "INSERT INTO `t` VALUES (…),(…);" on one line (mysqldump) or with a row
// per line (mariadb-dump 10.11), newlines inside values escaped either
// way: the rows are the parentheses opened at depth 0 outside quoted
// strings, up to the ";" that ends the statement.
type insertCounter struct {
	rows map[string]int64
	line []byte // the start of the current line, until decided
	// in an INSERT line: the table, and the lexer's state
	table   string
	inValue bool
	quote   bool
	escape  bool
	depth   int
	skip    bool // the rest of the line is not an INSERT
	last    []byte
}

const insertPrefix = "INSERT INTO `"

func (c *insertCounter) Write(p []byte) (int, error) {
	for _, ch := range p {
		c.step(ch)
	}
	// The last bytes, for the "-- Dump completed" trailer.
	c.last = append(c.last, p...)
	if len(c.last) > 256 {
		c.last = c.last[len(c.last)-256:]
	}
	return len(p), nil
}

func (c *insertCounter) step(ch byte) {
	if c.inValue {
		switch {
		case c.escape:
			c.escape = false
		case c.quote:
			switch ch {
			case '\\':
				c.escape = true
			case '\'':
				c.quote = false
			}
		case ch == '\'':
			c.quote = true
		case ch == '(':
			if c.depth == 0 {
				c.rows[c.table]++
			}
			c.depth++
		case ch == ')':
			c.depth--
		case ch == ';' && c.depth == 0:
			c.reset()
			c.skip = true // the rest of the line
		}
		return
	}
	if ch == '\n' {
		c.reset()
		return
	}
	if c.skip {
		return
	}
	c.line = append(c.line, ch)
	s := string(c.line)
	if len(s) <= len(insertPrefix) {
		if !strings.HasPrefix(insertPrefix, s) {
			c.skip = true
		}
		return
	}
	// After the prefix: the table name up to "` VALUES".
	rest := s[len(insertPrefix):]
	if i := strings.Index(rest, "` VALUES"); i >= 0 {
		c.table = rest[:i]
		if _, ok := c.rows[c.table]; !ok {
			c.rows[c.table] = 0
		}
		c.inValue = true
		c.line = c.line[:0]
		return
	}
	if len(rest) > 200 {
		c.skip = true
	}
}

func (c *insertCounter) reset() {
	c.line = c.line[:0]
	c.table, c.inValue, c.quote, c.escape, c.depth, c.skip = "", false, false, false, 0, false
}

// complete reports whether the dump ended with its trailer.
func (c *insertCounter) complete() bool {
	return bytes.Contains(c.last, []byte("-- Dump completed"))
}

// RestoreMySQL loads a backup into the DSN's database, which must be
// empty unless force (then its tables are dropped first), and checks the
// row counts. The caller then runs the migrations and rebuilds the
// schema-only tables (the search index).
func RestoreMySQL(ctx context.Context, dsn, file string, force bool, o Options) (Manifest, error) {
	m, data, err := ReadManifest(file)
	if err != nil {
		return m, err
	}
	if m.Backend != BackendMySQL {
		return m, fmt.Errorf("这是 %s 的备份，不能恢复到 MySQL/MariaDB（YV_MYSQL_DSN）", m.Backend)
	}
	if err := CheckSchema(m); err != nil {
		return m, err
	}
	client, err := findProgram(o.Client, "mariadb", "mysql")
	if err != nil {
		return m, err
	}
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		return m, fmt.Errorf("YV_MYSQL_DSN: %w", err)
	}
	defer conn.Close()
	existing, err := tables(ctx, conn)
	if err != nil {
		return m, fmt.Errorf("连接目标数据库（YV_MYSQL_DSN）: %w", err)
	}
	if len(existing) > 0 {
		if !force {
			return m, fmt.Errorf("目标数据库不是空的（%d 张表）：恢复只写入空数据库；确认要覆盖其中的数据时加 --force", len(existing))
		}
		if err := dropAll(ctx, conn, existing); err != nil {
			return m, err
		}
	}
	cnf, db, remove, err := defaultsFile(dsn)
	if err != nil {
		return m, err
	}
	defer remove()
	in, err := gunzip(data)
	if err != nil {
		return m, err
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, client, "--defaults-extra-file="+cnf, "--default-character-set=utf8mb4", "--binary-mode", db) //nolint:gosec // ours
	cmd.Stdin = in
	var stderr stderrTail
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return m, fmt.Errorf("%s 载入备份失败: %w: %s", client, err, stderr.String())
	}
	got := map[string]int64{}
	for t := range m.Rows {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+strings.ReplaceAll(t, "`", "``")+"`").Scan(&n); err != nil {
			return m, fmt.Errorf("恢复后统计 %s 的行数: %w", t, err)
		}
		got[t] = n
	}
	return m, compareRows(m.Rows, got)
}

// dropAll drops the given tables (restore --force).
func dropAll(ctx context.Context, conn *sql.DB, ts map[string]string) error {
	c, err := conn.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
		return err
	}
	names := make([]string, 0, len(ts))
	for t := range ts {
		names = append(names, "`"+strings.ReplaceAll(t, "`", "``")+"`")
	}
	slices.Sort(names)
	if _, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("清空目标数据库（--force）: %w", err)
	}
	_, err = c.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 1")
	return err
}
