// Command scalebench is the province-scale harness (`make bench-scale`).
//
//	scalebench load   recreate the scale database (-dsn, default yv_scale on
//	                  127.0.0.1:3306) with the project's migrations and fill
//	                  it with a province's year: 166 universities, 500,000
//	                  students, 1,000,000 questions, 1,600,000 answers,
//	                  200,000 bookings, 5,416,666 WeChat interactions over
//	                  13 months (deterministic: -seed, -now)
//	scalebench run    start the server on it (with Redis) and measure every
//	                  row of issue 19's table: figure, target, met or not
//	scalebench all    load when the database is missing or empty, then run
//	scalebench roster add the cadre roster (about 36 entries per university,
//	                  linked to the generated cadres and station teams) to a
//	                  database loaded before there was one; idempotent (load
//	                  and run add it too)
//
// Both apply the dynamic MariaDB settings of deploy/mariadb.cnf first
// (SET GLOBAL, printed). Every loop is bounded in time and count, and all
// traffic goes to 127.0.0.1.
//
// Run it from the repository root: go run ./cmd/scalebench [flags] all.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
)

type options struct {
	cmd        string
	dsn        string
	seed       uint64
	scale      float64
	volume     volume
	now        time.Time
	redisAddr  string
	redisDB    int
	bin        string
	root       string
	dir        string
	noSettings bool
	noRebuild  bool // skip building the search index and the statistics roll-ups

	tries        int
	statsTimeout time.Duration
	rateDuration time.Duration
	boardRate    int
	searchRate   int
	workers      int
	conns        int
	rssDuration  time.Duration
	strict       bool
	verbose      bool
	only         string
}

const defaultDSN = "root@tcp(127.0.0.1:3306)/yv_scale?parseTime=true"

func main() {
	var o options
	var now string
	flag.StringVar(&o.dsn, "dsn", benchproc.EnvOr("YV_SCALE_DSN", defaultDSN), "the scale database (its name must contain \"scale\"; load drops and recreates it) [YV_SCALE_DSN]")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generator")
	flag.Float64Var(&o.scale, "scale", 1, "volume relative to the province's (1: 500,000 students, 1,000,000 questions …)")
	flag.StringVar(&now, "now", "", "reference time of the generated data (RFC 3339; default: the time of loading)")
	flag.StringVar(&o.redisAddr, "redis", benchproc.EnvOr("YV_TEST_REDIS_ADDR", "127.0.0.1:6379"), "Redis of the server")
	flag.IntVar(&o.redisDB, "redis-db", 13, "Redis database of the server, emptied before and after the run")
	flag.StringVar(&o.bin, "bin", "", "use this youthvoice binary instead of building ./cmd/youthvoice")
	flag.BoolVar(&o.noSettings, "no-settings", false, "do not SET GLOBAL the dynamic settings of "+settingsFile)
	flag.IntVar(&o.tries, "tries", 5, "requests per statistics period after the first (cold) one")
	flag.DurationVar(&o.statsTimeout, "stats-timeout", 60*time.Second, "give up one statistics request after this long")
	flag.DurationVar(&o.rateDuration, "rate-duration", 15*time.Second, "length of each open-loop run")
	flag.IntVar(&o.boardRate, "board-rate", 1000, "requests per second on the board pages")
	flag.IntVar(&o.searchRate, "search-rate", 100, "requests per second on search")
	flag.IntVar(&o.workers, "workers", 256, "requests in flight at most in an open-loop run")
	flag.IntVar(&o.conns, "conns", 1000, "keep-alive connections of the memory row (wrk -c)")
	flag.DurationVar(&o.rssDuration, "rss-duration", 15*time.Second, "length of the memory row's wrk run")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	flag.StringVar(&o.only, "only", "", "measure only the rows whose name contains one of these comma-separated words (e.g. board,search,sweep)")
	flag.BoolVar(&o.verbose, "v", false, "print the server's log tail and each measurement as it is made")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: scalebench [flags] load|run|all|roster\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	o.cmd = flag.Arg(0)
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scalebench: -now:", err)
			os.Exit(2)
		}
		o.now = t
	}
	o.volume = fullVolume()
	if o.scale != 1 {
		o.volume = o.volume.scaled(o.scale)
	}
	benchproc.Run("scalebench", func(ctx context.Context) error { return run(ctx, o) })
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scalebench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	if o.scale <= 0 || o.scale > 2 {
		return errors.New("-scale must be in (0, 2]")
	}
	root, err := benchproc.ModuleRoot("run scalebench inside the youthvoice module (make bench-scale)")
	if err != nil {
		return err
	}
	o.root = root
	if o.dir, err = os.MkdirTemp("", "scalebench-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.dir)
	switch o.cmd {
	case "load":
		return load(ctx, o)
	case "run":
		return measure(ctx, o)
	case "roster":
		return roster(ctx, o)
	case "all":
		empty, err := needsLoad(ctx, o.dsn)
		if err != nil {
			return err
		}
		if empty {
			if err := load(ctx, o); err != nil {
				return err
			}
		} else {
			logf("%s is loaded; measuring it as it is (scalebench load reloads it)", mustName(o.dsn))
		}
		return measure(ctx, o)
	}
	return fmt.Errorf("unknown command %q: load, run, all or roster", o.cmd)
}

func mustName(dsn string) string {
	n, _ := dbName(dsn)
	return n
}

// needsLoad: the database is missing, or has no questions.
func needsLoad(ctx context.Context, dsn string) (bool, error) {
	name, err := dbName(dsn)
	if err != nil {
		return false, err
	}
	srv, err := serverDSN(dsn)
	if err != nil {
		return false, err
	}
	db, err := sql.Open("mysql", srv)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'questions'", name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("MariaDB does not answer (see .ci/run): %w", err)
	}
	if n == 0 {
		return true, nil
	}
	var rows int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM `"+name+"`.questions LIMIT 1) x").Scan(&rows)
	return rows == 0, err
}

// buildServer builds ./cmd/youthvoice once (or takes -bin).
func buildServer(o options) (string, error) {
	if o.bin != "" {
		return o.bin, nil
	}
	if bin := o.dir + "/youthvoice"; fileExists(bin) {
		return bin, nil
	}
	return benchproc.Build(o.root, o.dir, "./cmd/youthvoice")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// formatLoad is the per-table timing of a load.
func formatLoad(rs []loadResult) string {
	var b strings.Builder
	var rows int
	var took time.Duration
	fmt.Fprintf(&b, "%-16s %12s %10s %12s\n", "table", "rows", "time", "rows/s")
	for _, r := range rs {
		if r.rows == 0 {
			fmt.Fprintf(&b, "%-16s %12s %10s %12s\n", r.table, "", r.took.Round(100*time.Millisecond), "")
		} else {
			fmt.Fprintf(&b, "%-16s %12d %10s %12.0f\n", r.table, r.rows, r.took.Round(100*time.Millisecond), float64(r.rows)/r.took.Seconds())
		}
		rows += r.rows
		took += r.took
	}
	fmt.Fprintf(&b, "%-16s %12d %10s\n", "total", rows, took.Round(100*time.Millisecond))
	return b.String()
}
