package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The harness measures MariaDB as production should run it: the dynamic
// server settings of deploy/mariadb.cnf are applied with SET GLOBAL (and
// printed) before loading and before measuring. Settings that need a
// restart are only reported when the server differs.

// settingsFile is the production configuration, relative to the module.
const settingsFile = "deploy/mariadb.cnf"

// dynamicSettings may be changed on a running MariaDB 10.11.
var dynamicSettings = map[string]bool{
	"innodb_buffer_pool_size":        true,
	"innodb_log_file_size":           true,
	"innodb_flush_log_at_trx_commit": true,
	"innodb_io_capacity":             true,
	"max_connections":                true,
	"tmp_table_size":                 true,
	"max_heap_table_size":            true,
	"table_open_cache":               true,
	"table_definition_cache":         true,
	"sort_buffer_size":               true,
	"join_buffer_size":               true,
}

// shownSettings are printed with every report.
var shownSettings = []string{"version", "innodb_buffer_pool_size", "innodb_log_file_size", "innodb_flush_log_at_trx_commit",
	"innodb_io_capacity", "max_connections", "tmp_table_size", "max_heap_table_size", "table_open_cache", "sort_buffer_size",
	"max_statement_time", "local_infile", "have_query_cache"}

type setting struct{ name, value string }

// parseCnf reads the server sections ([mysqld], [mariadb], [mariadbd],
// [server], [galera] excluded) of an option file: name = value lines,
// dashes and underscores alike, comments dropped.
func parseCnf(text string) []setting {
	var out []setting
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			sec := strings.Trim(line, "[] ")
			in = sec == "mysqld" || sec == "mariadb" || sec == "mariadbd" || sec == "server" || strings.HasPrefix(sec, "mariadb-")
			continue
		}
		if !in {
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		name = strings.ReplaceAll(strings.TrimSpace(name), "-", "_")
		out = append(out, setting{name, strings.Trim(strings.TrimSpace(value), `"'`)})
	}
	return out
}

// sizeValue turns 4G, 512M, 64K into bytes; other values stay as they are.
func sizeValue(v string) string {
	if v == "" {
		return v
	}
	mult := int64(1)
	switch strings.ToUpper(v[len(v)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult == 1 {
		return v
	}
	n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
	if err != nil {
		return v
	}
	return strconv.FormatInt(n*mult, 10)
}

// applySettings SETs GLOBAL the dynamic settings of deploy/mariadb.cnf
// that differ from the server's, and prints what it changed.
func applySettings(ctx context.Context, db *sql.DB, root string, skip bool) ([]string, error) {
	if skip {
		logf("settings: -no-settings, the server's settings are measured as they are")
		return []string{"none (-no-settings)"}, nil
	}
	raw, err := os.ReadFile(filepath.Join(root, settingsFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", settingsFile, err)
	}
	return applyCnf(ctx, db, string(raw))
}

// applyCnf is applySettings for the text of an option file.
func applyCnf(ctx context.Context, db *sql.DB, raw string) ([]string, error) {
	var changed []string
	for _, s := range parseCnf(raw) {
		want := sizeValue(s.value)
		var cur string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL."+s.name).Scan(&cur); err != nil {
			continue // not a variable (plugin_load_add, character_set_server …) or not this server's
		}
		if normalize(cur) == normalize(want) {
			continue
		}
		if !dynamicSettings[s.name] {
			logf("settings: %s is %s here, %s in %s (needs a restart; not changed)", s.name, cur, s.value, settingsFile)
			continue
		}
		if _, err := db.ExecContext(ctx, "SET GLOBAL "+s.name+" = "+sqlValue(want)); err != nil {
			return changed, fmt.Errorf("SET GLOBAL %s = %s: %w", s.name, want, err)
		}
		logf("settings: SET GLOBAL %s = %s (was %s), as in %s", s.name, s.value, cur, settingsFile)
		changed = append(changed, fmt.Sprintf("%s %s → %s", s.name, human(s.name, cur), s.value))
	}
	return changed, nil
}

func normalize(v string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	switch v {
	case "ON", "TRUE":
		v = "1"
	case "OFF", "FALSE":
		v = "0"
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return v
}

func sqlValue(v string) string {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	switch strings.ToUpper(v) {
	case "ON", "OFF":
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// serverSettings reads shownSettings for the report.
func serverSettings(ctx context.Context, db *sql.DB) []setting {
	var out []setting
	for _, name := range shownSettings {
		var v string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v); err != nil {
			continue
		}
		out = append(out, setting{name, v})
	}
	var plugins []string
	if rows, err := db.QueryContext(ctx, "SELECT plugin_name FROM information_schema.plugins WHERE plugin_name IN ('Mroonga') AND plugin_status = 'ACTIVE'"); err == nil {
		for rows.Next() {
			var p string
			if rows.Scan(&p) == nil {
				plugins = append(plugins, p)
			}
		}
		rows.Close()
	}
	mroonga := "not loaded"
	if len(plugins) > 0 {
		mroonga = "active"
	}
	return append(out, setting{"Mroonga", mroonga})
}
