// Command alertbench is `make bench-alerts`: it measures how fast the
// template-message outbox drains when several `youthvoice serve` instances
// share one MariaDB and one Redis.
//
// For each scenario (a one-instance baseline, then -instances instances)
// it drops and recreates a dedicated database (-mysql, whose name must
// contain "bench"), migrates it, queues -n pending alerts, starts an
// in-process fake WeChat API (service/wxapi/wxfake, with a random app id
// so that no cached access token is shared with anything else), and then
// starts the instances in real mode against the fake
// (YV_WECHAT_API_BASE). It waits until every row is stored as sent and
// the fake has seen every row id as client_msg_id, and reports:
//
//   - alerts/s from the first send the fake saw to the moment the last row
//     was stored as sent (and, for reference, from the processes' start);
//   - each instance's share (youthvoice_alerts_sent_total from /metrics);
//   - duplicates (a client_msg_id sent more than once), rows not sent;
//   - where the time goes: CPU per alert of the instances, mariadbd,
//     redis-server and alertbench itself, MariaDB statements, prepared
//     statements, commits and redo-log fsyncs per alert, Redis commands per
//     alert, TCP connections the instances opened to the API, the probed
//     latency of one durable commit, and how busy the rest of the machine
//     was (a shared machine disturbs alerts/s; CPU per alert much less).
//
// -rounds repeats the scenarios (the verdict uses the mean); -latency
// delays every fake API answer, standing in for the network to Tencent;
// -stop-one stops one instance half-way (SIGTERM, as a rolling restart
// does) and checks that no alert is sent twice.
//
// The issue's target: at least 1,000 alerts/s in total with two instances,
// with zero duplicates. A duplicate or an undelivered alert always fails the
// command; a missed throughput target only with -strict.
//
// Run it from the repository root: go run ./cmd/alertbench [flags].
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
	"github.com/gdyouth/youthvoice/service/alertkind"
)

// target is the issue's throughput goal, alerts per second in total.
const target = 1000

type options struct {
	mysqlDSN  string
	redisAddr string
	redisDB   int
	n         int
	instances int
	bin       string
	workers   int
	batch     int
	poll      time.Duration
	latency   time.Duration
	baseline  bool
	timeout   time.Duration
	strict    bool
	keep      bool
	rounds    int
	stopOne   bool
	verbose   bool
}

func main() {
	var o options
	flag.StringVar(&o.mysqlDSN, "mysql", defaultDSN(os.Getenv("YV_TEST_MYSQL_DSN")),
		"MariaDB DSN of the bench database (dropped and recreated; its name must contain \"bench\"); default: YV_TEST_MYSQL_DSN's server with database "+defaultDBName)
	flag.StringVar(&o.redisAddr, "redis", benchproc.EnvOr("YV_TEST_REDIS_ADDR", "127.0.0.1:6379"), "Redis address for the instances")
	flag.IntVar(&o.redisDB, "redis-db", 0, "Redis database number for the instances (YV_REDIS_DB)")
	flag.IntVar(&o.n, "n", 10000, "alerts to queue and deliver per scenario")
	flag.IntVar(&o.instances, "instances", 2, "youthvoice serve instances in the measured scenario")
	flag.StringVar(&o.bin, "bin", "", "youthvoice binary to run (default: build ./cmd/youthvoice into a temporary directory)")
	flag.IntVar(&o.workers, "workers", 32, "YV_ALERT_WORKERS of each instance")
	flag.IntVar(&o.batch, "batch", 100, "YV_ALERT_BATCH of each instance")
	flag.DurationVar(&o.poll, "poll", 50*time.Millisecond, "YV_ALERT_POLL_INTERVAL of each instance")
	flag.DurationVar(&o.latency, "latency", 0, "delay the fake API adds to every request (e.g. 1ms, standing in for the network)")
	flag.BoolVar(&o.baseline, "baseline", true, "also run a one-instance baseline first")
	flag.DurationVar(&o.timeout, "timeout", 120*time.Second, "give up on a scenario after this long")
	flag.IntVar(&o.rounds, "rounds", 1, "run the scenarios this many times, alternating (the verdict uses the mean)")
	flag.BoolVar(&o.stopOne, "stop-one", false, "rolling-restart check: SIGTERM the first instance once half the alerts are delivered; it hands back what it has not sent, and any claim it leaves behind is retried by the others once it expires (a minute) and its backoff (30 s) has passed")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when the throughput target is missed too")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench database after the run (for inspection)")
	flag.BoolVar(&o.verbose, "v", false, "print progress every second and the instances' log tails")
	flag.Parse()

	benchproc.Run("alertbench", func(ctx context.Context) error { return run(ctx, o) })
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "alertbench: "+format+"\n", args...)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (o options) validate() error {
	switch {
	case o.n <= 0 || o.rounds <= 0:
		return errors.New("-n and -rounds must be positive")
	case o.instances < 1:
		return errors.New("-instances must be at least 1")
	case o.workers < 1 || o.workers > 64:
		return errors.New("-workers must be 1–64 (YV_ALERT_WORKERS)")
	case o.batch < 1 || o.batch > 1000:
		return errors.New("-batch must be 1–1000 (YV_ALERT_BATCH)")
	case o.poll < 10*time.Millisecond:
		return errors.New("-poll must be at least 10ms (YV_ALERT_POLL_INTERVAL)")
	case o.redisDB < 0 || o.redisDB > 15:
		return errors.New("-redis-db must be 0–15")
	case o.timeout <= 0 || o.latency < 0:
		return errors.New("-timeout must be positive and -latency not negative")
	}
	return nil
}

// scenarios lists the instance counts to run, baseline first.
func (o options) scenarios() []int {
	if o.baseline && o.instances != 1 {
		return []int{1, o.instances}
	}
	return []int{o.instances}
}

func run(ctx context.Context, o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "alertbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rdb := redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB})
	defer rdb.Close()
	redisVersion, err := redisInfo(ctx, rdb)
	if err != nil {
		return fmt.Errorf("redis at %s does not answer (is it running?): %w", o.redisAddr, err)
	}
	db, err := openBenchDB(ctx, o.mysqlDSN)
	if err != nil {
		return err
	}
	defer db.close()
	if !o.keep {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := db.drop(cctx); err != nil {
				logf("dropping database %s: %v", db.name, err)
			}
		}()
	}

	if o.bin == "" {
		root, err := benchproc.ModuleRoot("run alertbench inside the youthvoice module (make bench-alerts), or pass -bin")
		if err != nil {
			return err
		}
		logf("building ./cmd/youthvoice")
		if o.bin, err = benchproc.Build(root, dir, "./cmd/youthvoice"); err != nil {
			return err
		}
	}
	mariadbVersion, flush := db.serverFacts(ctx)
	printFacts(mariadbVersion, flush, redisVersion)
	fmt.Printf("settings: -n %d, YV_ALERT_WORKERS=%d YV_ALERT_BATCH=%d YV_ALERT_POLL_INTERVAL=%s per instance, fake API latency %s, database %s, redis %s db %d\n",
		o.n, o.workers, o.batch, o.poll, o.latency, db.name, o.redisAddr, o.redisDB)

	var results []result
	for round := 1; round <= o.rounds; round++ {
		for _, k := range o.scenarios() {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := runScenario(ctx, o, db, rdb, dir, k)
			if err != nil {
				return fmt.Errorf("%d instance(s): %w", k, err)
			}
			r.round = round
			logf("round %d, %d instance(s): %d alerts in %.2f s = %.0f alerts/s", round, k, r.tally.Distinct, r.elapsed.Seconds(), r.rate())
			results = append(results, r)
		}
	}

	printResults(results)
	var problems []string
	for _, r := range results {
		for _, p := range r.problems() {
			problems = append(problems, fmt.Sprintf("%d instance(s): %s", r.instances, p))
		}
	}
	met := verdicts(results, o)
	fmt.Printf("correctness: %s\n", okOr(len(problems) == 0))
	if len(problems) > 0 {
		return fmt.Errorf("%d correctness check(s) failed:\n  - %s", len(problems), strings.Join(problems, "\n  - "))
	}
	if !met && o.strict {
		return errors.New("throughput target missed (-strict)")
	}
	return nil
}

// runScenario delivers o.n fresh alerts with k instances.
func runScenario(ctx context.Context, o options, db *benchDB, rdb *redis.Client, dir string, k int) (result, error) {
	r := result{instances: k, workers: o.workers, batch: o.batch, n: o.n, latency: o.latency}
	logf("%d instance(s): resetting %s and queueing %d alerts", k, db.name, o.n)
	ids, err := db.reset(ctx, o.n, o.bin, filepath.Join(dir, "migrate"))
	if err != nil {
		return r, err
	}
	check, err := db.conn()
	if err != nil {
		return r, err
	}
	defer check.Close()
	if r.commitP50, r.commitP90, err = db.probeCommit(ctx, check); err != nil {
		return r, fmt.Errorf("probing the commit latency: %w", err)
	}

	// A fresh app id per scenario: the instances cache the access token in
	// Redis by app id, so nothing is shared with other runs or users.
	appID, secret := "wx"+randHex(8), randHex(16)
	fake, err := startFake(appID, secret, o.latency)
	if err != nil {
		return r, err
	}
	defer fake.close()
	defer cleanRedis(rdb, appID)

	deps := benchproc.PidsByName("mariadbd", "mysqld", "redis-server")
	dbBefore, err := db.status(ctx)
	if err != nil {
		return r, err
	}
	redisBefore := commandStats(ctx, rdb)
	depsBefore := depsCPU(deps)
	selfBefore := benchproc.SelfCPU()
	busyBefore := benchproc.MachineBusy()
	ownBefore := db.own.Load()

	var ins []*benchproc.Process
	defer func() {
		for _, in := range ins {
			_ = in.Stop(30 * time.Second)
		}
	}()
	start := time.Now()
	for i := range k {
		port, err := benchproc.FreePort()
		if err != nil {
			return r, err
		}
		name := fmt.Sprintf("instance%d", i+1)
		data := filepath.Join(dir, fmt.Sprintf("k%d-%s", k, name))
		if err := os.MkdirAll(data, 0o750); err != nil {
			return r, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		in, err := benchproc.Start(name, o.bin, data+".log", port, append(templateEnv(),
			"YV_ADDR="+addr,
			"YV_PUBLIC_URL=http://"+addr,
			"YV_DATA_DIR="+data,
			"YV_LOG_LEVEL=warn",
			"YV_MYSQL_DSN="+db.dsn,
			"YV_REDIS_ADDR="+o.redisAddr,
			"YV_REDIS_DB="+strconv.Itoa(o.redisDB),
			"YV_WECHAT_APPID="+appID,
			"YV_WECHAT_SECRET="+secret,
			"YV_WECHAT_TOKEN=alertbench",
			"YV_WECHAT_API_BASE="+fake.url,
			"YV_ALERT_WORKERS="+strconv.Itoa(o.workers),
			"YV_ALERT_BATCH="+strconv.Itoa(o.batch),
			"YV_ALERT_POLL_INTERVAL="+o.poll.String(),
		), "serve")
		if err != nil {
			return r, err
		}
		ins = append(ins, in)
	}

	// Wait: first until the fake has seen every id, then until the last
	// row is stored as sent (the sender stores the result after the send).
	end, stopped, err := waitDelivered(ctx, o, db, check, fake.tally, ins)
	if err != nil {
		return r, err
	}
	r.stopped = stopped
	r.timedOut = end.IsZero()
	if r.timedOut {
		end = time.Now()
	}

	// Counters at the end of the delivery, before anything else runs.
	dbAfter, err := db.status(ctx)
	if err != nil {
		return r, err
	}
	r.redis = commandStats(ctx, rdb).delta(redisBefore)
	depsAfter := depsCPU(deps)
	r.cpu = map[string]time.Duration{}
	for _, in := range ins {
		r.cpu["youthvoice"] += in.CPU() // since its start
	}
	for name, v := range depsAfter {
		r.cpu[name] = v - depsBefore[name]
	}
	r.cpu["alertbench"] = benchproc.SelfCPU() - selfBefore
	var ours time.Duration
	for _, v := range r.cpu {
		ours += v
	}
	r.other = otherShare(benchproc.MachineBusy()-busyBefore, ours, end.Sub(start), runtime.NumCPU())
	r.ownSQL = int(db.own.Load()-ownBefore) + 1 // + the closing SHOW STATUS
	r.db = dbAfter.delta(dbBefore)
	r.newConns = int(fake.newConns.Load())

	// Leave the instances running a little longer, so that a late resend
	// would still be counted as a duplicate.
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(max(500*time.Millisecond, 3*o.poll)):
	}
	for i, in := range ins {
		if i+1 == r.stopped {
			r.perInstance = append(r.perInstance, -1) // its counter went with it
			continue
		}
		text, err := metrics(ctx, in)
		if err != nil {
			return r, fmt.Errorf("%s: %w\n%s", in.Name, err, in.LogTail(20))
		}
		sent, _ := metricSum(text, "youthvoice_alerts_sent_total")
		failed, _ := metricSum(text, "youthvoice_alerts_failed_total")
		r.perInstance = append(r.perInstance, sent)
		r.failedSends += failed
	}
	r.tally = fake.tally.snap()
	if !r.tally.First.IsZero() {
		r.startup = r.tally.First.Sub(start)
		r.elapsed = end.Sub(r.tally.First)
	}
	r.total = end.Sub(start)
	r.missing, r.foreign = compareIDs(fake.tally.ids(), ids)
	if err := db.final(ctx, check, &r); err != nil {
		return r, err
	}

	var issues []string
	for _, in := range ins {
		if err := in.Stop(30 * time.Second); err != nil {
			issues = append(issues, fmt.Sprintf("%s did not stop cleanly: %v", in.Name, err))
		}
		for _, l := range in.LogLines("WARN", "ERROR") {
			issues = append(issues, in.Name+": "+l.Level+" "+l.String())
		}
		if o.verbose {
			logf("%s log tail:\n%s", in.Name, in.LogTail(15))
		}
	}
	r.logIssues = benchproc.CountLines(issues)
	return r, nil
}

// templateEnv configures every template (the queued rows carry their own
// template id; this only keeps the "unconfigured templates" warning out of
// the instances' logs).
func templateEnv() []string {
	var env []string
	for _, k := range alertkind.All() {
		env = append(env, k.EnvPrefix()+"_ID=TPL_ALERTBENCH")
	}
	return env
}

// waitDelivered returns when every alert is delivered, or a zero time
// after o.timeout. With -stop-one it stops the first of several instances
// once half the alerts are at the fake, and reports it as stopped (1).
func waitDelivered(ctx context.Context, o options, db *benchDB, check *sql.DB, t *tally, ins []*benchproc.Process) (end time.Time, stopped int, err error) {
	deadline := time.Now().Add(o.timeout)
	lastLog := time.Now()
	for {
		s := t.snap()
		if s.Distinct >= o.n {
			// The fake has all; the rows follow within milliseconds (or,
			// with -stop-one, once the stopped instance's claims expire).
			n, err := db.sentCount(ctx, check)
			if err != nil {
				return time.Time{}, stopped, err
			}
			if n >= o.n {
				return time.Now(), stopped, nil
			}
		}
		if o.stopOne && len(ins) > 1 && stopped == 0 && s.Distinct >= o.n/2 {
			stopped = 1
			logf("%d instance(s): stopping %s (SIGTERM) at %d of %d alerts", len(ins), ins[0].Name, s.Distinct, o.n)
			go func() { _ = ins[0].Stop(30 * time.Second) }()
		}
		for i, in := range ins {
			if i+1 != stopped && !in.Running() {
				return time.Time{}, stopped, fmt.Errorf("%s exited during the run (%v):\n%s", in.Name, in.Err(), in.LogTail(30))
			}
		}
		now := time.Now()
		if now.After(deadline) {
			logf("timed out after %s: the fake API saw %d of %d alerts", o.timeout, s.Distinct, o.n)
			return time.Time{}, stopped, nil
		}
		if o.verbose && now.Sub(lastLog) >= time.Second {
			logf("%d instance(s): %d of %d alerts at the fake API", len(ins), s.Distinct, o.n)
			lastLog = now
		}
		select {
		case <-ctx.Done():
			return time.Time{}, stopped, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Redis helpers.

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

func commandStats(ctx context.Context, c *redis.Client) counters {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return counters{}
	}
	return parseCommandStats(info)
}

// cleanRedis deletes the keys the instances stored for appID (the cached
// access token).
func cleanRedis(c *redis.Client, appID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, "*"+appID+"*", 100).Iterator()
	for iter.Next(ctx) {
		_ = c.Del(ctx, iter.Val()).Err()
	}
}

// Output.

func printFacts(mariadb, flush, redisV string) {
	fmt.Printf("machine: %s; MariaDB %s (innodb_flush_log_at_trx_commit=%s); Redis %s\n", benchproc.Machine(), mariadb, flush, redisV)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func printResults(rs []result) {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tinstances\talerts\tstartup\tdelivery\talerts/s\tincl. startup\tper instance (sent_total)\tduplicates\tnot sent\tfailed sends\tcommit p50/p90\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%.0f\t%.0f\t%s\t%d\t%d\t%.0f\t%.1f/%.1f ms\t\n",
			r.round, r.instances, r.tally.Distinct, secs(r.startup), secs(r.elapsed), r.rate(), r.rateWithStartup(),
			shares(r.perInstance), r.tally.Extra, r.notSent(), r.failedSends, ms(r.commitP50), ms(r.commitP90))
	}
	tw.Flush()
	fmt.Println()
	fmt.Println("per alert:")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tinstances\tcpu youthvoice\tmariadbd\tredis\talertbench+fake\tcpu total\tSQL stmts\tprepares\tcommits\tlog writes\tfsyncs\tredis cmds\trow lock waits (run)\tAPI conns (run)\tother cpu\t")
	for _, r := range rs {
		n := float64(max(r.tally.Distinct, 1))
		per := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3/n) }
		var total time.Duration
		for _, v := range r.cpu {
			total += v
		}
		var rc float64
		for _, v := range r.redis {
			rc += v
		}
		rc-- // the closing INFO commandstats itself
		stmts := r.db["Questions"] - float64(r.ownSQL)
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%d\t%.0f%%\t\n",
			r.round, r.instances, per(r.cpu["youthvoice"]), per(r.cpu["mariadbd"]), per(r.cpu["redis-server"]), per(r.cpu["alertbench"]), per(total),
			stmts/n, r.db["Com_stmt_prepare"]/n, r.db["Com_commit"]/n, r.db["Innodb_log_writes"]/n, r.db["Innodb_data_fsyncs"]/n, rc/n,
			r.db["Innodb_row_lock_waits"], r.newConns, 100*r.other)
	}
	tw.Flush()
	fmt.Println()
	fmt.Println("delivery: first send the fake API saw -> last row stored as sent; startup: process start -> first send.")
	fmt.Println("cpu youthvoice counts from the processes' start; mariadbd and redis from the instances' start; Redis counters are server-wide.")
	fmt.Println("SQL stmts: MariaDB Questions (text queries and prepared executions) less alertbench's own.")
	fmt.Println("commit p50/p90: 30 single-row autocommit INSERTs timed before the scenario (the disk's fsync, mostly).")
	fmt.Println("other cpu: share of the machine's CPUs used meanwhile by unrelated processes.")
	for _, r := range rs {
		if r.other > 0.10 {
			fmt.Println("WARNING: other processes used more than 10% of the machine during some scenarios; their alerts/s are disturbed.")
			break
		}
	}
	for _, r := range rs {
		if r.stopped > 0 {
			fmt.Printf("note: round %d, %d instance(s): instance%d was stopped (SIGTERM) half-way (-stop-one)\n", r.round, r.instances, r.stopped)
		}
		for _, l := range r.logIssues {
			fmt.Printf("note: round %d, %d instance(s): %s\n", r.round, r.instances, l)
		}
	}
}

// verdicts prints the target and the scaling, and reports whether the
// target was met.
func verdicts(rs []result, o options) bool {
	fmt.Println()
	base, multi := meanRate(rs, 1), meanRate(rs, o.instances)
	met := multi >= target
	for _, r := range rs {
		met = met && (r.instances != o.instances || !r.timedOut)
	}
	fmt.Printf("target: >= %d alerts/s in total with %d instance(s): %.0f alerts/s%s  %s\n",
		target, o.instances, multi, meanNote(o.rounds), metOr(met))
	if o.instances != 1 && base > 0 {
		fmt.Printf("scaling: %d instances / 1 instance = %.2fx (%.0f / %.0f alerts/s%s)\n", o.instances, multi/base, multi, base, meanNote(o.rounds))
	}
	dups := map[int]int{}
	for _, r := range rs {
		dups[r.instances] += r.tally.Extra
	}
	for _, k := range o.scenarios() {
		fmt.Printf("duplicates with %d instance(s): %d  %s\n", k, dups[k], okOr(dups[k] == 0))
	}
	return met
}

// meanRate is the mean alerts/s of the scenarios with k instances.
func meanRate(rs []result, k int) float64 {
	var sum float64
	n := 0
	for _, r := range rs {
		if r.instances == k {
			sum += r.rate()
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func meanNote(rounds int) string {
	if rounds > 1 {
		return fmt.Sprintf(", mean of %d rounds", rounds)
	}
	return ""
}

func okOr(ok bool) string {
	if ok {
		return "OK"
	}
	return "FAILED"
}

func metOr(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}
