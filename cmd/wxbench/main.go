// Command wxbench is `make bench`: it loads /wechat/callback of the project
// (sandbox credentials, MariaDB + Redis) and of a minimal baseline
// (cmd/wxbaseline: silenceper's README echo handler on gin) in one run,
// alternating between them, and prints one table:
//
//   - max throughput: wrk -t2 -c64 -d20s --latency with a generated Lua
//     script (a text message per request, a fresh MsgId each, senders out
//     of a pool of 1,000, a valid signature);
//   - latency at a fixed 2,000 requests/s: an open-loop Go load (Debian has
//     no wrk2) that measures from each request's due time.
//
// After each project run it checks that every 200 text reply was recorded
// as exactly one interaction, and at the end that a replayed MsgId is
// answered from the dedupe store without a second row.
//
// Targets (the issue): the project's throughput at least the baseline's;
// p99 under 20 ms at 2,000 requests/s. A missed target is printed; with
// -strict it also fails the command. A correctness failure always does.
//
// Run it from the repository root: go run ./cmd/wxbench [flags].
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
)

const sandboxToken = "sandbox" // cmd/youthvoice/app.go sandboxCredentials

type options struct {
	duration     time.Duration
	threads      int
	conns        int
	rate         int
	rateDuration time.Duration
	workers      int
	senders      int
	rounds       int
	warmup       time.Duration
	mysqlDSN     string
	redisAddr    string
	redisDB      int
	projectBin   string
	baselineBin  string
	strict       bool
	projectEnv   string
	baselineEnv  string
	verbose      bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each wrk (max throughput) run")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.conns, "conns", 64, "wrk connections")
	flag.IntVar(&o.rate, "rate", 2000, "requests per second of the fixed-rate run")
	flag.DurationVar(&o.rateDuration, "rate-duration", 20*time.Second, "length of each fixed-rate run")
	flag.IntVar(&o.workers, "workers", 256, "concurrent requests allowed in the fixed-rate run")
	flag.IntVar(&o.senders, "senders", 1000, "distinct FromUserName values")
	flag.IntVar(&o.rounds, "rounds", 1, "how many times to alternate baseline and project")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured wrk run against each server first")
	flag.StringVar(&o.mysqlDSN, "mysql", benchproc.EnvOr("YV_BENCH_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/"), "admin DSN; a fresh database is created and dropped")
	flag.StringVar(&o.redisAddr, "redis", benchproc.EnvOr("YV_BENCH_REDIS_ADDR", "127.0.0.1:6379"), "Redis for the project")
	flag.IntVar(&o.redisDB, "redis-db", 12, "Redis database of the project, emptied before and after the run")
	flag.StringVar(&o.projectBin, "project-bin", "", "use this youthvoice binary instead of building ./cmd/youthvoice")
	flag.StringVar(&o.baselineBin, "baseline-bin", "", "use this baseline binary instead of building ./cmd/wxbaseline")
	flag.StringVar(&o.projectEnv, "project-env", "", "extra environment of the project, space-separated NAME=value (e.g. GOGC=200)")
	flag.StringVar(&o.baselineEnv, "baseline-env", "", "extra environment of the baseline, space-separated NAME=value")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a performance target is missed")
	flag.BoolVar(&o.verbose, "v", false, "print wrk's own output and the servers' logs")
	flag.Parse()

	benchproc.Run("wxbench", func(ctx context.Context) error { return run(ctx, o) })
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "wxbench: "+format+"\n", args...)
}

// row is one line of the results table.
type row struct {
	server, mode       string
	rps                float64
	p50, p90, p99, max time.Duration
	non2xx, errors     int64
	cpuPerReq          time.Duration // server + its stores
	redisPerReq        time.Duration // of which redis-server
	dbPerReq           time.Duration // and mariadbd
	other              float64       // share of the machine used by unrelated processes
	note               string
}

// account fills in the CPU columns of r from u for n completed requests.
func (r *row) account(u usage, n int64) {
	if n > 0 {
		r.cpuPerReq = (u.server + u.deps()) / time.Duration(n)
		r.redisPerReq = u.redis / time.Duration(n)
		r.dbPerReq = u.db / time.Duration(n)
	}
	r.other = u.otherShare()
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: apt-get install -y wrk (make bench does this)")
	}
	if o.rate <= 0 || o.senders <= 0 || o.rounds <= 0 || o.workers <= 0 {
		return errors.New("-rate, -senders, -rounds and -workers must be positive")
	}
	root, err := benchproc.ModuleRoot("run wxbench inside the youthvoice module (make bench)")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "wxbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Facts first, so that every pasted table says what it ran on.
	rdb := redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB})
	defer rdb.Close()
	redisVersion, err := redisInfo(ctx, rdb)
	if err != nil {
		return fmt.Errorf("redis at %s does not answer (is it running? see .ci/run): %w", o.redisAddr, err)
	}
	// The project's dedupe keys live 10 minutes: left by an earlier run,
	// they would expire during this one and bill it for their expiry.
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("emptying redis database %d: %w", o.redisDB, err)
	}
	defer func() { _ = rdb.FlushDB(context.WithoutCancel(ctx)).Err() }()
	db, err := createBenchDB(ctx, o.mysqlDSN)
	if err != nil {
		return err
	}
	defer db.drop()
	var mariadbVersion string
	_ = db.admin.QueryRowContext(ctx, "SELECT VERSION()").Scan(&mariadbVersion)
	printFacts(mariadbVersion, redisVersion)

	if o.projectBin == "" {
		logf("building ./cmd/youthvoice and ./cmd/wxbaseline")
		if o.projectBin, err = benchproc.Build(root, dir, "./cmd/youthvoice"); err != nil {
			return err
		}
	}
	if o.baselineBin == "" {
		if o.baselineBin, err = benchproc.Build(root, dir, "./cmd/wxbaseline"); err != nil {
			return err
		}
	}

	bport, err := benchproc.FreePort()
	if err != nil {
		return err
	}
	pport, err := benchproc.FreePort()
	if err != nil {
		return err
	}
	baseline, err := benchproc.Start("baseline", o.baselineBin, dir+"/baseline.log", bport, strings.Fields(o.baselineEnv), "-addr", fmt.Sprintf("127.0.0.1:%d", bport))
	if err != nil {
		return err
	}
	defer func() { _ = baseline.Stop(5 * time.Second) }()
	project, err := benchproc.Start("project", o.projectBin, dir+"/youthvoice.log", pport, append([]string{
		"YV_ADDR=127.0.0.1:" + fmt.Sprint(pport),
		"YV_MYSQL_DSN=" + db.dsn,
		"YV_REDIS_ADDR=" + o.redisAddr,
		"YV_REDIS_DB=" + fmt.Sprint(o.redisDB),
		"YV_LOG_LEVEL=warn",
		"YV_DATA_DIR=" + dir + "/data",
	}, strings.Fields(o.projectEnv)...), "serve")
	if err != nil {
		return err
	}
	defer func() { _ = project.Stop(30 * time.Second) }()
	// The project migrates its fresh database first, under MariaDB's named
	// lock youthvoice_migrate, which it waits up to 120 s for.
	if err := baseline.WaitHealthy(ctx, 30*time.Second); err != nil {
		return err
	}
	if err := project.WaitHealthy(ctx, 150*time.Second); err != nil {
		var holder sql.NullInt64
		_ = db.admin.QueryRowContext(ctx, "SELECT IS_USED_LOCK('youthvoice_migrate')").Scan(&holder)
		if holder.Valid {
			err = fmt.Errorf("%w\n(MariaDB connection %d holds the migration lock youthvoice_migrate)", err, holder.Int64)
		}
		return err
	}
	logf("baseline on %s, project on %s (database %s, redis %s db %d)", baseline.URL, project.URL, db.name, o.redisAddr, o.redisDB)

	wo := wrkOptions{threads: o.threads, conns: o.conns, duration: o.duration, senders: o.senders, token: sandboxToken, verbose: o.verbose}
	ro := rateOptions{rate: o.rate, duration: o.rateDuration, workers: o.workers, senders: o.senders, token: sandboxToken}

	var problems []string
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		problems = append(problems, msg)
		logf("CHECK FAILED: %s", msg)
	}

	if o.warmup > 0 {
		w := wo
		w.duration = o.warmup
		for _, s := range []*benchproc.Process{baseline, project} {
			logf("warm-up: wrk %s against %s", o.warmup, s.Name)
			if _, err := runWrk(ctx, dir, s.URL, w); err != nil {
				return err
			}
		}
	}
	rows0, err := db.settle(ctx)
	if err != nil {
		return err
	}

	// The stores' processes, whose CPU counts as the project's.
	pids := benchproc.PidsByName("redis-server", "mariadbd", "mysqld")
	redisPIDs, dbPIDs := pids["redis-server"], append(pids["mariadbd"], pids["mysqld"]...)
	var rows []row
	var thr = map[string][]float64{}
	var lastRateBase int64
	seenErrors := len(project.LogLines("ERROR")) // the warm-up's stop may log some
	var stopNotes []string
	for round := 1; round <= o.rounds; round++ {
		// (a) max throughput, baseline then project.
		for _, s := range []*benchproc.Process{baseline, project} {
			if err := ctx.Err(); err != nil {
				return err
			}
			logf("round %d: wrk -t%d -c%d -d%s against %s", round, o.threads, o.conns, o.duration, s.Name)
			m := startMeter(s.PID(), redisPIDs, dbPIDs)
			r, err := runWrk(ctx, dir, s.URL, wo)
			if err != nil {
				return err
			}
			u := m.stop(r.CPU)
			rps := float64(r.Requests) / (float64(r.DurationUS) / 1e6)
			thr[s.Name] = append(thr[s.Name], rps)
			rw := row{server: s.Name, mode: fmt.Sprintf("max (wrk -c%d)", o.conns), rps: rps,
				p50: us(r.P50US), p90: us(r.P90US), p99: us(r.P99US), max: us(r.MaxUS),
				non2xx: r.Bad, errors: r.Connect + r.Read + r.Write + r.Timeout}
			rw.account(u, r.Requests)
			if r.Bad > 0 {
				fail("%s, wrk run: %d of %d responses were not 200 with a text reply", s.Name, r.Bad, r.Requests)
			}
			if s == project {
				n, err := db.settle(ctx)
				if err != nil {
					return err
				}
				delta := n - rows0
				rows0 = n
				// wrk stops with up to -c requests in flight: the server
				// processed (and recorded) them but wrk never counted them.
				slack := int64(o.conns) + rw.errors
				rw.note = fmt.Sprintf("rows %d / 200-text %d", delta, r.OKText)
				if delta < r.OKText || delta > r.OKText+slack {
					fail("project, wrk run: %d interactions recorded for %d 200 text replies (expected that many, up to %d more in flight at stop)", delta, r.OKText, slack)
				}
				// wrk closes its connections mid-request when time is up;
				// the project then logs the cancelled requests. Up to -c of
				// those are the load generator's doing, anything else is not.
				errs := project.LogLines("ERROR")
				fresh := errs[seenErrors:]
				seenErrors = len(errs)
				var other []benchproc.LogLine
				cancelled := 0
				for _, l := range fresh {
					if strings.Contains(l.Err, "context canceled") {
						cancelled++
					} else {
						other = append(other, l)
					}
				}
				if cancelled > 0 {
					stopNotes = append(stopNotes, fmt.Sprintf("round %d: wrk's stop cancelled in-flight requests; the project logged:%s", round, summarize(fresh)))
				}
				if len(other) > 0 || cancelled > o.conns {
					fail("project logged errors during the wrk run:%s", summarize(fresh))
				}
			}
			rows = append(rows, rw)
			pause(ctx)
		}
		// (b) latency at a fixed rate, baseline then project.
		for _, s := range []*benchproc.Process{baseline, project} {
			if err := ctx.Err(); err != nil {
				return err
			}
			logf("round %d: %d req/s for %s against %s (open loop)", round, o.rate, o.rateDuration, s.Name)
			m := startMeter(s.PID(), redisPIDs, dbPIDs)
			r := runRate(ctx, s.URL, ro)
			u := m.stop(0)
			lastRateBase = r.MsgIDBase
			done := len(r.Latencies)
			rw := row{server: s.Name, mode: fmt.Sprintf("%d/s (open loop)", o.rate),
				rps: float64(done) / r.Elapsed.Seconds(), p50: r.percentile(50), p90: r.percentile(90), p99: r.percentile(99), max: r.max(),
				non2xx: int64(r.Non2xx + r.BadReply), errors: int64(r.Errors)}
			rw.account(u, int64(done))
			if r.Non2xx+r.BadReply+r.Errors > 0 {
				fail("%s, fixed-rate run: %d non-2xx, %d bad replies, %d errors of %d sent (first: %s)", s.Name, r.Non2xx, r.BadReply, r.Errors, r.Sent, r.FirstErr)
			}
			if s == project {
				n, err := db.settle(ctx)
				if err != nil {
					return err
				}
				delta := n - rows0
				rows0 = n
				rw.note = fmt.Sprintf("rows %d / 200-text %d", delta, r.OKText)
				if delta != int64(r.OKText) {
					fail("project, fixed-rate run: %d interactions recorded for %d 200 text replies", delta, r.OKText)
				}
				errs := project.LogLines("ERROR")
				if fresh := errs[seenErrors:]; len(fresh) > 0 {
					fail("project logged errors during the fixed-rate run:%s", summarize(fresh))
				}
				seenErrors = len(errs)
			}
			rows = append(rows, rw)
			pause(ctx)
		}
	}

	// Dedupe: WeChat retries a MsgId up to three times; a retry must get
	// the first reply and add no row.
	replayed, err := replay(ctx, project.URL, lastRateBase, 200, o.senders)
	if err != nil {
		fail("project, dedupe replay: %v", err)
	} else {
		n, err := db.settle(ctx)
		if err != nil {
			return err
		}
		if n != rows0 {
			fail("project, dedupe replay: %d retried MsgIds added %d interactions (want 0)", replayed, n-rows0)
		}
	}
	var total, distinct int64
	if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT msg_id) FROM interactions").Scan(&total, &distinct); err != nil {
		return err
	}
	if total != distinct {
		fail("project: %d interactions but %d distinct MsgIds (a push was recorded twice)", total, distinct)
	}
	if errs := project.LogLines("ERROR"); len(errs) > seenErrors {
		fail("project logged errors during the dedupe replay:%s", summarize(errs[seenErrors:]))
	}
	if o.verbose {
		logf("project log:\n%s", project.LogTail(40))
	}
	peakProject, peakBaseline := benchproc.PeakRSS(project.PID()), benchproc.PeakRSS(baseline.PID())
	if err := project.Stop(30 * time.Second); err != nil {
		fail("project did not stop cleanly: %v\n%s", err, project.LogTail(10))
	}

	printTable(rows)
	for _, n := range stopNotes {
		fmt.Println("note:", n)
	}
	fmt.Printf("peak resident memory (VmHWM): project %.0f MiB, baseline %.0f MiB\n", float64(peakProject)/(1<<20), float64(peakBaseline)/(1<<20))
	met := verdicts(rows, thr, o)
	fmt.Printf("correctness: %s (%d interactions recorded by the project)\n", okOr(len(problems) == 0), total)
	if len(problems) > 0 {
		return fmt.Errorf("%d correctness check(s) failed:\n  - %s", len(problems), strings.Join(problems, "\n  - "))
	}
	if !met && o.strict {
		return errors.New("performance target missed (-strict)")
	}
	return nil
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// pause lets the machine settle between runs.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
}

func okOr(ok bool) string {
	if ok {
		return "OK"
	}
	return "FAILED"
}

// replay resends n MsgIds of a finished fixed-rate run, as WeChat's
// retries do, and checks each gets a 200 text reply.
func replay(ctx context.Context, baseURL string, base int64, n, senders int) (int, error) {
	sigs := signedQueries(sandboxToken, 10, time.Now())
	for i := 0; i < n; i++ {
		from := senderID(i % senders)
		body := textMessage(from, time.Now().Unix(), contents[i%len(contents)], base+int64(i))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+callbackPath+"?"+sigs[i%len(sigs)], strings.NewReader(body))
		if err != nil {
			return i, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return i, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !isTextReply(b) {
			return i, fmt.Errorf("retry of MsgId %d: %s %s", base+int64(i), resp.Status, b)
		}
	}
	return n, nil
}

func redisInfo(ctx context.Context, c *redis.Client) (string, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "redis_version:"); ok {
			return v, nil
		}
	}
	return "?", nil
}

func printFacts(mariadb, redisV string) {
	wrkVersion := "?"
	if out, _ := exec.Command("wrk", "--version").CombinedOutput(); len(out) > 0 {
		wrkVersion = strings.Fields(string(out))[1]
	}
	fmt.Printf("machine: %s; wrk %s; MariaDB %s; Redis %s\n", benchproc.Machine(), wrkVersion, mariadb, redisV)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func printTable(rows []row) {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tmode\treq/s\tp50\tp90\tp99\tmax\tnon-2xx|bad\terrors\tcpu/req\t(redis+db)\tother cpu\tcheck\t")
	busy := false
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t%.0f µs\t%.0f+%.0f µs\t%.0f%%\t%s\t\n",
			r.server, r.mode, r.rps, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), r.non2xx, r.errors,
			float64(r.cpuPerReq)/1e3, float64(r.redisPerReq)/1e3, float64(r.dbPerReq)/1e3, 100*r.other, r.note)
		busy = busy || r.other > 0.10
	}
	tw.Flush()
	fmt.Println()
	fmt.Println("cpu/req: CPU time of the server and, for the project, of redis-server and mariadbd, per completed request;")
	fmt.Println("(redis+db): the part of it used by redis-server and by mariadbd.")
	fmt.Println("other cpu: share of the machine's CPUs used meanwhile by unrelated processes.")
	if busy {
		fmt.Println("WARNING: other processes used more than 10% of the machine during some runs; req/s and latencies are disturbed (cpu/req much less so).")
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// verdicts prints the targets and whether they were met.
func verdicts(rows []row, thr map[string][]float64, o options) bool {
	ratio := mean(thr["project"]) / mean(thr["baseline"])
	okThr := ratio >= 1
	fmt.Printf("throughput project/baseline: %.2f (%.0f / %.0f req/s)  target >= 1.00: %s\n",
		ratio, mean(thr["project"]), mean(thr["baseline"]), metOr(okThr))
	var cpu = map[string][]float64{}
	for _, r := range rows {
		if strings.HasPrefix(r.mode, "max") {
			cpu[r.server] = append(cpu[r.server], float64(r.cpuPerReq))
		}
	}
	if b := mean(cpu["baseline"]); b > 0 {
		fmt.Printf("cpu per request project/baseline: %.2f (%.0f / %.0f µs, at max throughput)\n",
			mean(cpu["project"])/b, mean(cpu["project"])/1e3, b/1e3)
	}
	okLat := true
	for _, r := range rows {
		if r.server != "project" || !strings.Contains(r.mode, "open loop") {
			continue
		}
		ok := r.p99 < 20*time.Millisecond && r.errors == 0 && r.non2xx == 0 && r.rps >= 0.98*float64(o.rate)
		okLat = okLat && ok
		fmt.Printf("project p99 at %d req/s: %s (achieved %.0f req/s)  target < 20 ms: %s\n", o.rate, ms(r.p99), r.rps, metOr(ok))
	}
	return okThr && okLat
}

func metOr(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}
