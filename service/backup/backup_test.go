package backup

import (
	"os"
	"strings"
	"testing"
)

// TestInsertCounter counts a dump's rows in both layouts (mysqldump's one
// line per statement, mariadb-dump's row per line) whatever the values
// hold: parentheses, semicolons, quotes, escapes, newlines.
func TestInsertCounter(t *testing.T) {
	dump := "-- MariaDB dump\n" +
		"DROP TABLE IF EXISTS `a`;\n" +
		"INSERT INTO `a` VALUES (1,'x(y)',NULL),(2,'it\\'s; (fine)\\\\',0x28),(3,'a\\nb','');\n" +
		"INSERT INTO `b` VALUES\n(1,'(('),\n(2,')'),\n(3,';');\n" +
		"INSERT INTO `a` VALUES (4,'');\n" +
		"-- INSERT INTO `c` VALUES (1);\n" +
		"/*!40000 ALTER TABLE `b` ENABLE KEYS */;\n" +
		"-- Dump completed on 2026-12-07 13:00:00\n"
	for _, chunk := range []int{1, 7, len(dump)} {
		c := &insertCounter{rows: map[string]int64{"a": 0, "b": 0, "empty": 0}}
		for i := 0; i < len(dump); i += chunk {
			if _, err := c.Write([]byte(dump[i:min(i+chunk, len(dump))])); err != nil {
				t.Fatal(err)
			}
		}
		if c.rows["a"] != 4 || c.rows["b"] != 3 || c.rows["empty"] != 0 || len(c.rows) != 3 {
			t.Errorf("written %d bytes at a time: rows %v, want a 4, b 3, empty 0", chunk, c.rows)
		}
		if !c.complete() {
			t.Error("the trailer was not seen")
		}
	}
	c := &insertCounter{rows: map[string]int64{}}
	_, _ = c.Write([]byte("INSERT INTO `a` VALUES (1);\n"))
	if c.complete() {
		t.Error("a dump cut short reads as complete")
	}
}

// TestDefaultsFile: the credentials go to a file only this user can read
// (never a command line), and it is removed afterwards.
func TestDefaultsFile(t *testing.T) {
	path, db, remove, err := defaultsFile(`yv:p"a\ss#w@tcp(db.example:3307)/youthvoice?parseTime=true`)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`user="yv"`, `password="p\"a\\ss#w"`, `host="db.example"`, `port="3307"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("options file lacks %s:\n%s", want, raw)
		}
	}
	if db != "youthvoice" {
		t.Errorf("database %q", db)
	}
	remove()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the options file is still there: %v", err)
	}
	if _, _, _, err := defaultsFile("yv:pw@tcp(db:3306)/"); err == nil {
		t.Error("a DSN without a database accepted")
	}
}

func TestManifestPath(t *testing.T) {
	for in, want := range map[string]string{
		"/b/youthvoice-x-schema24.sql.gz": "/b/youthvoice-x-schema24.json",
		"/b/youthvoice-x-schema24.db.gz":  "/b/youthvoice-x-schema24.json",
		"/b/youthvoice-x-schema24.json":   "/b/youthvoice-x-schema24.json",
	} {
		if got := ManifestPath(in); got != want {
			t.Errorf("ManifestPath(%s) = %s, want %s", in, got, want)
		}
	}
}
