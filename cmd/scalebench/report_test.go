package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReportFormat(t *testing.T) {
	rep := report{
		machine:    "2 CPUs (Test CPU), linux/amd64; go1.26, 23.5 GiB RAM",
		settings:   []setting{{"version", "10.11.19-MariaDB"}, {"innodb_buffer_pool_size", "4294967296"}, {"tmp_table_size", "67108864"}, {"max_connections", "300"}},
		counts:     []tableCount{{"questions", 1000000}, {"answers", 1600000}},
		subject:    "largest board u-1 (一所大学, 34,000 questions)",
		loadBefore: "0.50 0.40 0.30", loadAfter: "1.50 1.00 0.50",
		applied: []string{"innodb_buffer_pool_size 128M → 4G"},
	}
	met := result{what: "stats, province, 近7天 (7 days)", figure: "median 120 ms", target: "< 200 ms (median)", how: "API"}
	met.setMet(true)
	missed := result{what: "search, no-hit word 量子纠缠", figure: "one request 4.85 s", target: "< 100 ms (p99 at 100 req/s)", how: "GET /api/v1/questions/search"}
	missed.setMet(false)
	rep.results = []result{met, missed, {what: "server memory", figure: "not measured", target: "< 150 MB", how: "wrk is not installed"}}
	out := rep.format()
	for _, want := range []string{
		"innodb_buffer_pool_size=4G", "tmp_table_size=64M", "max_connections=300",
		"questions 1,000,000", "answers 1,600,000",
		"0.50 0.40 0.30 before, 1.50 1.00 0.50 after",
		"SET GLOBAL innodb_buffer_pool_size 128M → 4G (as in deploy/mariadb.cnf)",
		"1 of 3 rows met.",
		" 2. GET /api/v1/questions/search",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// One table: a header and a row per result, columns aligned.
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "#") || (len(l) > 1 && l[0] >= '1' && l[0] <= '9' && l[1] == ' ' && !strings.Contains(l, "rows met")) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("table lines %q", lines)
	}
	col := strings.Index(lines[0], "met")
	if !strings.HasSuffix(lines[1], "met") || strings.Index(lines[1], "met") != col && !strings.HasSuffix(lines[1], " met") {
		t.Errorf("row 1 %q", lines[1])
	}
	if !strings.HasSuffix(lines[2], "NOT met") || !strings.HasSuffix(lines[3], "not measured") {
		t.Errorf("rows %q", lines[2:])
	}
	if rep.allMet() {
		t.Error("allMet with missed rows")
	}
	rep.results = rep.results[:1]
	if !rep.allMet() {
		t.Error("allMet false with every row met")
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 350 * time.Microsecond: "350 µs", 4567 * time.Microsecond: "4.57 ms", 45670 * time.Microsecond: "45.7 ms",
		456 * time.Millisecond: "456 ms", 4560 * time.Millisecond: "4.56 s", 150 * time.Second: "150.0 s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSettingsFile(t *testing.T) {
	got := parseCnf("[client]\nport = 1\n[mariadbd]\n# comment\ninnodb-buffer-pool-size = 4G # why\nmax_connections=300\n[mysqldump]\nquick = 1\n")
	if len(got) != 2 || got[0] != (setting{"innodb_buffer_pool_size", "4G"}) || got[1] != (setting{"max_connections", "300"}) {
		t.Fatalf("parseCnf = %v", got)
	}
	if sizeValue("4G") != "4294967296" || sizeValue("64M") != "67108864" || sizeValue("300") != "300" || sizeValue("ON") != "ON" {
		t.Fatal("sizeValue")
	}
	if normalize("ON") != normalize("1") || normalize("67108864") != normalize("67108864.0") {
		t.Fatal("normalize")
	}
	// The shipped file parses, and every dynamic setting in it has a size
	// or number the server takes.
	raw, err := readRepoFile(settingsFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range parseCnf(raw) {
		seen[s.name] = true
		if dynamicSettings[s.name] && sqlValue(sizeValue(s.value))[0] == '\'' {
			t.Errorf("%s = %s is not a number", s.name, s.value)
		}
	}
	for _, must := range []string{"innodb_buffer_pool_size", "innodb_log_file_size", "innodb_flush_log_at_trx_commit", "max_connections", "tmp_table_size", "plugin_load_add"} {
		if !seen[must] {
			t.Errorf("%s does not set %s", settingsFile, must)
		}
	}
}

func TestPeriodDays(t *testing.T) {
	if periodDays("2026-01-01", "2026-01-07") != 7 || periodDays("2025-03-15", "2026-03-15") != 366 {
		t.Fatal("periodDays")
	}
}

func readRepoFile(rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	return string(b), err
}

func TestQuickRangesIncludeTheYear(t *testing.T) {
	now := time.Date(2026, 3, 15, 4, 0, 0, 0, time.UTC)
	q := quickRanges(now)
	last := q[len(q)-1]
	if len(q) < 6 || q[0].Label != "近7天" || last.Label != "近一年" || periodDays(last.From, last.To) != 366 || last.To != "2026-03-15" {
		t.Fatalf("quick ranges %+v", q)
	}
}

// A row's fields come back from LOAD DATA's format as they went in.
func TestTSVRoundTrip(t *testing.T) {
	var r row
	r.begin()
	at := time.Date(2026, 3, 1, 8, 0, 5, 0, time.FixedZone("CST", 8*3600))
	r.str("a\tb\nc\\d").null().int(-5).uint(7).bool(true).bool(false).time(at).timeOrNull(time.Time{}).uintOrNull(0)
	r.end()
	line := strings.TrimSuffix(string(r.buf), "\n")
	if strings.Count(string(r.buf), "\n") != 1 {
		t.Fatalf("one row is one line: %q", r.buf)
	}
	f := parseTSVLine(line)
	want := []string{"a\tb\nc\\d", "", "-5", "7", "1", "0", "2026-03-01 00:00:05", "", ""}
	for i, w := range want {
		switch {
		case w == "" && f[i] != nil:
			t.Errorf("field %d = %q, want NULL", i, *f[i])
		case w != "" && (f[i] == nil || *f[i] != w):
			t.Errorf("field %d = %v, want %q", i, f[i], w)
		}
	}
}

func TestOnlySelectsRows(t *testing.T) {
	m := &meter{o: options{only: "Board, sweep"}}
	if !m.want("board page (student), page 1") || !m.want(sweepRow) || m.want("stats, province, 近7天 (7 days)") {
		t.Fatal("-only board,sweep")
	}
	if !(&meter{}).want("anything") {
		t.Fatal("without -only every row is measured")
	}
}
