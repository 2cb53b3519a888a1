package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
	"github.com/gdyouth/youthvoice/cmd/internal/openloop"
	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/stats"
)

// scaleTables are counted in the report.
var scaleTables = []string{"universities", "users", "followers", "boards", "questions", "answers", "stations", "station_admins",
	"bookings", "interactions", "template_messages"}

// target is one row's goal.
type target struct {
	limit time.Duration
	what  string // "p99", "median", "max" …: the figure compared with limit
}

// measure runs the server on the scale database and measures every row
// of the table.
func measure(ctx context.Context, o options) error {
	name, err := dbName(o.dsn)
	if err != nil {
		return err
	}
	srv, err := serverDSN(o.dsn)
	if err != nil {
		return err
	}
	admin, err := sql.Open("mysql", srv)
	if err != nil {
		return err
	}
	defer admin.Close()
	var rep report
	if rep.applied, err = applySettings(ctx, admin, o.root, o.noSettings); err != nil {
		return err
	}
	rep.loadBefore = loadAvg()
	rep.machine = benchproc.Machine() + ", " + memTotal()
	rep.settings = serverSettings(ctx, admin)
	for _, t := range scaleTables {
		var n int64
		if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.`"+t+"`").Scan(&n); err != nil {
			return fmt.Errorf("counting %s (is %s loaded? scalebench load): %w", t, name, err)
		}
		rep.counts = append(rep.counts, tableCount{t, n})
	}

	// The largest university board, its university and the accounts.
	var big struct {
		board, code, uniName string
		uniID                uint64
		questions            int64
	}
	if err := admin.QueryRowContext(ctx, "SELECT b.`key`, u.code, u.name, u.id, x.n FROM (SELECT board_id, COUNT(*) AS n FROM `"+name+
		"`.questions GROUP BY board_id ORDER BY n DESC LIMIT 1) x JOIN `"+name+"`.boards b ON b.id = x.board_id JOIN `"+name+
		"`.universities u ON u.id = b.university_id").Scan(&big.board, &big.code, &big.uniName, &big.uniID, &big.questions); err != nil {
		return fmt.Errorf("finding the largest university board: %w", err)
	}
	var student string
	if err := admin.QueryRowContext(ctx, "SELECT account FROM `"+name+"`.users WHERE role = ? AND university_id = ? AND openid IS NOT NULL ORDER BY id LIMIT 1",
		model.RoleStudent, big.uniID).Scan(&student); err != nil {
		return fmt.Errorf("finding a student of the largest university: %w", err)
	}
	rep.subject = fmt.Sprintf("largest board %s (%s, %d questions)", big.board, big.uniName, big.questions)

	bin, err := buildServer(o)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB})
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("emptying redis database %d at %s: %w", o.redisDB, o.redisAddr, err)
	}
	defer rdb.FlushDB(context.WithoutCancel(ctx))
	raiseFileLimit()
	port, err := benchproc.FreePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	data := filepath.Join(o.dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		return err
	}
	server, err := benchproc.Start("youthvoice", bin, filepath.Join(o.dir, "server.log"), port, []string{
		"YV_ADDR=" + addr, "YV_PUBLIC_URL=http://" + addr, "YV_DATA_DIR=" + data, "YV_LOG_LEVEL=warn",
		"YV_MYSQL_DSN=" + o.dsn, "YV_REDIS_ADDR=" + o.redisAddr, "YV_REDIS_DB=" + strconv.Itoa(o.redisDB),
	}, "serve")
	if err != nil {
		return err
	}
	defer func() {
		if o.verbose {
			fmt.Fprintln(os.Stderr, server.LogTail(40))
		}
		_ = server.Stop(30 * time.Second)
	}()
	logf("starting the server on %s (its pending migrations run first)", name)
	if err := server.WaitHealthy(ctx, 15*time.Minute); err != nil {
		return err
	}

	sess := map[string]string{}
	for _, acct := range []string{provinceAccount, uniAdminAccount(big.code), cadreAccount(big.code, 1), student} {
		c, err := login(ctx, server.URL, acct)
		if err != nil {
			return fmt.Errorf("signing in as %s: %w", acct, err)
		}
		sess[acct] = c
	}
	m := &meter{o: o, base: server.URL, admin: admin, db: name, rep: &rep}

	// 1. Statistics: every period the page offers, then a custom range and
	// a university admin's own year.
	for _, q := range quickRanges(time.Now()) {
		days := periodDays(q.From, q.To)
		t := target{200 * time.Millisecond, "median"}
		if days > 31 {
			t.limit = 500 * time.Millisecond
		}
		m.stats(ctx, fmt.Sprintf("stats, province, %s (%d days)", q.Label, days), sess[provinceAccount], q.From, q.To, t)
	}
	today := time.Now().In(clock.Beijing)
	to := today.AddDate(0, 0, -40)
	m.stats(ctx, "stats, province, 366 days ending 40 days ago", sess[provinceAccount],
		to.AddDate(0, 0, -365).Format(stats.DateLayout), to.Format(stats.DateLayout), target{5 * time.Second, "median"})
	m.stats(ctx, "stats, university admin, 近一年 (366 days)", sess[uniAdminAccount(big.code)],
		today.AddDate(0, 0, -365).Format(stats.DateLayout), today.Format(stats.DateLayout), target{100 * time.Millisecond, "median"})

	// The trend charts and the per-cadre tables read the same roll-ups
	// and indexes: a month (the page's default) and a year.
	month, year := today.AddDate(0, 0, -29).Format(stats.DateLayout), today.AddDate(0, 0, -365).Format(stats.DateLayout)
	now := today.Format(stats.DateLayout)
	m.report(ctx, "stats trend, province, 近30天", sess[provinceAccount], "/api/v1/admin/stats/trends", "", month, now,
		target{500 * time.Millisecond, "median"})
	m.report(ctx, "stats trend, province, 近一年", sess[provinceAccount], "/api/v1/admin/stats/trends", "", year, now,
		target{5 * time.Second, "median"})
	m.report(ctx, "stats trend, university admin, 近一年", sess[uniAdminAccount(big.code)], "/api/v1/admin/stats/trends", "", year, now,
		target{5 * time.Second, "median"})
	m.report(ctx, "cadre table, province, 近30天", sess[provinceAccount], "/api/v1/admin/cadres", "", month, now,
		target{5 * time.Second, "median"})
	// The province's station list counts this week's and the waiting
	// bookings of all 166 stations from indexes (not the year's bookings).
	m.report(ctx, "station list, province, all 166 (API)", sess[provinceAccount], "/api/v1/admin/stations", "", month, now,
		target{500 * time.Millisecond, "median"})
	m.report(ctx, "station list page, province, page 1", sess[provinceAccount], "/h5/admin/stations", "", month, now,
		target{500 * time.Millisecond, "median"})

	// 2. The largest board, first and deepest page, H5 as a student and
	// the API as a cadre (who sees unanswered questions first).
	deep := strconv.Itoa(min(500, int(big.questions/question.PageSize)))
	bt := target{50 * time.Millisecond, "p99"}
	m.rate(ctx, "board page /h5/boards/"+big.board+" (student), page 1", "/h5/boards/"+big.board, sess[student], o.boardRate, bt)
	m.rate(ctx, "board page (student), page "+deep, "/h5/boards/"+big.board+"?page="+deep, sess[student], o.boardRate, bt)
	api := "/api/v1/boards/" + big.board + "/questions"
	m.rate(ctx, "board API "+api+" (cadre), page 1", api, sess[cadreAccount(big.code, 1)], o.boardRate, bt)
	m.rate(ctx, "board API (cadre), page "+deep, api+"?page="+deep, sess[cadreAccount(big.code, 1)], o.boardRate, bt)

	// 3. Search, all boards, as a student.
	st := target{100 * time.Millisecond, "p99"}
	m.rate(ctx, "search, common word "+commonWord, "/api/v1/questions/search?q="+url.QueryEscape(commonWord), sess[student], o.searchRate, st)
	m.rate(ctx, "search, no-hit word "+noHitWord, "/api/v1/questions/search?q="+url.QueryEscape(noHitWord), sess[student], o.searchRate, st)

	// 4. The timers and admin lists, in-process against the scale database.
	if err := m.inProcess(ctx, big.uniID, big.code); err != nil {
		return err
	}

	// 5. Memory with 1,000 keep-alive connections on /h5/home.
	m.memory(ctx, server, sess[student])

	rep.loadAfter = loadAvg()
	if errs := server.LogLines("ERROR"); len(errs) > 0 {
		var lines []string
		for _, l := range errs {
			lines = append(lines, strings.Join(strings.Fields(l.String()), " "))
		}
		rep.serverErrors = benchproc.CountLines(lines)
	}
	fmt.Print(rep.format())
	if o.strict && !rep.allMet() {
		return errors.New("some targets were not met")
	}
	return nil
}

type meter struct {
	o     options
	base  string
	admin *sql.DB
	db    string
	rep   *report
}

// want: the row is one -only asks for (every row without -only).
func (m *meter) want(what string) bool {
	if m.o.only == "" {
		return true
	}
	for _, w := range strings.Split(m.o.only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(strings.ToLower(what), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// amend adds to the how of the last row when it is what.
func (m *meter) amend(what, note string) {
	if n := len(m.rep.results); n > 0 && m.rep.results[n-1].what == what {
		m.rep.results[n-1].how += note
	}
}

// killLeftovers ends the statements the server left running on the scale
// database when the bench gave up on a request (a cancelled request does
// not stop its query yet, issue 19), so that the next row is not measured
// under them. It says how many it ended.
func (m *meter) killLeftovers(ctx context.Context) int {
	rows, err := m.admin.QueryContext(ctx, "SELECT id FROM information_schema.processlist WHERE db = ? AND command = 'Query' AND time >= 2 AND id <> CONNECTION_ID()", m.db)
	if err != nil {
		return 0
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		_, _ = m.admin.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(id, 10))
	}
	return len(ids)
}

// get fetches path with the session cookie, within timeout.
func (m *meter) get(ctx context.Context, path, cookie string, timeout time.Duration) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Cookie", cookie)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Since(start), nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body[:min(len(body), 300)]))
	}
	return took, body, err
}

// quickRanges are the periods the statistics page offers (the project's
// own stats.QuickRanges), with 近一年 (366 days ending today) added if the
// page does not offer it yet.
func quickRanges(now time.Time) []stats.QuickRange {
	quick := stats.QuickRanges(now)
	if !slices.ContainsFunc(quick, func(q stats.QuickRange) bool { return q.Label == "近一年" }) {
		today := now.In(clock.Beijing)
		quick = append(quick, stats.QuickRange{Label: "近一年", From: today.AddDate(0, 0, -365).Format(stats.DateLayout),
			To: today.Format(stats.DateLayout)})
	}
	return quick
}

func periodDays(from, to string) int {
	a, err1 := time.Parse(stats.DateLayout, from)
	b, err2 := time.Parse(stats.DateLayout, to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours()/24+0.5) + 1
}

// stats times GET /api/v1/admin/stats for a period: the first (cold) try
// apart, then o.tries more (median and max) unless the cold one was far
// over the target.
func (m *meter) stats(ctx context.Context, what, cookie, from, to string, t target) {
	m.report(ctx, what, cookie, "/api/v1/admin/stats", "", from, to, t)
}

// report times GET endpoint?from=&to=(&query) as cookie: a cold request,
// then the median of the tries.
func (m *meter) report(ctx context.Context, what, cookie, endpoint, query, from, to string, t target) {
	if !m.want(what) {
		return
	}
	path := endpoint + "?from=" + from + "&to=" + to + query
	logf("measuring: %s", what)
	r := result{what: what, target: "< " + fmtDur(t.limit) + " (" + t.what + ")", how: "GET " + endpoint + query + ", " + from + " – " + to}
	cold, _, err := m.get(ctx, path, cookie, m.o.statsTimeout)
	if err != nil {
		r.figure = fmt.Sprintf("failed after %s: %s", fmtDur(cold), shortErr(err))
		r.setMet(false)
		if k := m.killLeftovers(ctx); k > 0 {
			r.how += fmt.Sprintf("; %d statement(s) left running were killed", k)
		}
		m.rep.add(r)
		return
	}
	if cold > 10*t.limit && cold > 2*time.Second {
		r.figure = "cold " + fmtDur(cold)
		r.how += "; too slow for more tries"
		r.setMet(cold < t.limit)
		m.rep.add(r)
		return
	}
	var ds []time.Duration
	for range m.o.tries {
		d, _, err := m.get(ctx, path, cookie, m.o.statsTimeout)
		if err != nil {
			r.figure = fmt.Sprintf("cold %s; then failed: %s", fmtDur(cold), shortErr(err))
			r.setMet(false)
			m.killLeftovers(ctx)
			m.rep.add(r)
			return
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	med := ds[len(ds)/2]
	r.figure = fmt.Sprintf("median %s, max %s (cold %s)", fmtDur(med), fmtDur(ds[len(ds)-1]), fmtDur(cold))
	r.how += fmt.Sprintf("; %d tries after the cold one", len(ds))
	r.setMet(med < t.limit)
	m.rep.add(r)
}

// rate measures path at rate req/s open loop for o.rateDuration. Three
// sequential probes come first: when they are far over the target, the
// open-loop run is skipped (it would only pile up requests on a machine
// shared with others) and the probes are the figure.
func (m *meter) rate(ctx context.Context, what, path, cookie string, rate int, t target) {
	if !m.want(what) {
		return
	}
	logf("measuring: %s", what)
	r := result{what: what, target: fmt.Sprintf("< %s (%s at %d req/s)", fmtDur(t.limit), t.what, rate)}
	var probes []time.Duration
	for range 3 {
		d, _, err := m.get(ctx, path, cookie, 30*time.Second)
		if err != nil {
			r.figure, r.how = "failed: "+shortErr(err), "GET "+path
			r.setMet(false)
			m.killLeftovers(ctx)
			m.rep.add(r)
			return
		}
		probes = append(probes, d)
	}
	slices.Sort(probes)
	// A request that alone takes d needs about rate×d seconds of the
	// machine every second: past four times its CPUs the run could only pile up
	// requests (and stall everyone else on a shared machine).
	if demand := probes[1].Seconds() * float64(rate); probes[1] > 10*t.limit || demand > 4*float64(runtime.NumCPU()) {
		r.figure = fmt.Sprintf("one request %s (median of 3)", fmtDur(probes[1]))
		r.how = fmt.Sprintf("GET %s; open loop skipped: at %d req/s that is %.0f s of work a second on %d CPUs", path, rate, demand, runtime.NumCPU())
		r.setMet(false)
		m.rep.add(r)
		return
	}
	res := openloop.Run(ctx, openloop.Options{Rate: rate, Duration: m.o.rateDuration, Workers: m.o.workers, Grace: 10 * time.Second},
		func(ctx context.Context, _ int, _ *rand.Rand) (*http.Request, openloop.Check, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.base+path, nil)
			if err == nil {
				req.Header.Set("Cookie", cookie)
			}
			return req, nil, err
		})
	done := len(res.Latencies)
	r.figure = fmt.Sprintf("p99 %s (p50 %s, max %s)", fmtDur(res.Percentile(99)), fmtDur(res.Percentile(50)), fmtDur(res.Max()))
	r.how = fmt.Sprintf("GET %s; %d sent in %s, %.0f done/s", path, res.Sent, m.o.rateDuration, float64(done)/res.Elapsed.Seconds())
	if f := res.Failed() - res.Unsent; f > 0 {
		r.how += fmt.Sprintf(", %d failed (first: %s)", f, res.FirstErr)
	}
	if res.Unsent > 0 {
		r.how += fmt.Sprintf(", %d still queued 10 s after the run's end, not sent", res.Unsent)
	}
	r.setMet(res.Failed() == 0 && res.Sent == int(float64(rate)*m.o.rateDuration.Seconds()) && res.Percentile(99) < t.limit)
	if k := m.killLeftovers(ctx); k > 0 {
		r.how += fmt.Sprintf("; %d statement(s) left running were killed", k)
	}
	m.rep.add(r)
}

// inProcess times the question sweep with nothing due, the province-admin
// lookup the escalations make and the overdue list, calling the project's
// code on the scale database as a server instance would.
func (m *meter) inProcess(ctx context.Context, uniID uint64, uniCode string) error {
	if !m.want(sweepRow) && !m.want(lookupRow) && !m.want(overdueRow) && !m.want(overdueUniRow) && !m.want(cadreRow) {
		return nil
	}
	db, err := model.OpenMySQL(ctx, m.o.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	clk := clock.Real{}
	outbox, err := alert.NewOutbox(db, clk)
	if err != nil {
		return err
	}
	// The sandbox's templates, as the server here runs: a question that
	// comes due meanwhile is alerted as the server would alert it.
	box, err := inbox.New(db, clk)
	if err != nil {
		return err
	}
	n, err := notify.New(outbox, box, notify.FromConfig(config.Templates{}, true), "http://127.0.0.1")
	if err != nil {
		return err
	}
	qs, err := question.New(db, clk, n, question.ParseWords(config.DefaultSensitiveWords), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	var prov model.User
	if err := db.Conn(ctx).Where("account_key = ?", provinceAccount).Take(&prov).Error; err != nil {
		return err
	}

	// The server sweeps every 30 s too; one sweep first takes whatever came
	// due since the load, so that the timed ones have nothing to do.
	logf("measuring: question sweep (in-process)")
	r0, o0, err := qs.Sweep(ctx)
	if err != nil {
		return fmt.Errorf("question sweep: %w", err)
	}
	// A question passes its 20-hour mark every half minute or so at this
	// volume: a sweep that found one is followed at once by another, and
	// only sweeps that found nothing are timed.
	claimed := 0
	m.timed(ctx, sweepRow, target{10 * time.Millisecond, "median"},
		fmt.Sprintf("question.Service.Sweep in-process (a first sweep enqueued %d reminders, %d overdue alerts)", r0, o0),
		func(ctx context.Context) (time.Duration, error) {
			for range 3 {
				start := time.Now()
				r, o, err := qs.Sweep(ctx)
				if err != nil || r+o == 0 {
					return time.Since(start), err
				}
				claimed += r + o
			}
			return 0, errors.New("every sweep found something due")
		})
	if claimed > 0 {
		m.amend(sweepRow, fmt.Sprintf("; %d came due meanwhile, their sweeps not timed", claimed))
	}
	m.timed(ctx, lookupRow, target{5 * time.Millisecond, "median"},
		"in-process, the statement of question.usersWith(nil, province_admin) and station.universityAdmins' fallback",
		func(ctx context.Context) (time.Duration, error) {
			var us []model.User
			return 0, db.Conn(ctx).Where("role IN ? AND openid IS NOT NULL", []string{model.RoleProvinceAdmin}).Order("id").Find(&us).Error
		})
	var total int64
	m.timed(ctx, overdueRow, target{50 * time.Millisecond, "median"},
		"question.Service.OverdueFor(province admin) in-process: 200 listed, total, per university",
		func(ctx context.Context) (time.Duration, error) {
			o, err := qs.OverdueFor(ctx, prov)
			total = o.Total
			return 0, err
		})
	m.amend(overdueRow, fmt.Sprintf(" (%d overdue)", total))
	uid := uniID
	uadm := model.User{ID: 0, Role: model.RoleUniversityAdm, UniversityID: &uid}
	m.timed(ctx, overdueUniRow, target{50 * time.Millisecond, "median"},
		"question.Service.OverdueFor(university admin) in-process",
		func(ctx context.Context) (time.Duration, error) {
			_, err := qs.OverdueFor(ctx, uadm)
			return 0, err
		})
	return m.cadres(ctx, db, uadm, uniCode)
}

// cadres times the per-cadre assessment (干部考核) of the largest
// university over the last 365 days, as its admin asks for it, after
// adding the roster if the database was loaded before there was one.
func (m *meter) cadres(ctx context.Context, db *model.DB, uadm model.User, code string) error {
	if !m.want(cadreRow) {
		return nil
	}
	added, err := addRoster(ctx, db, time.Now())
	if err != nil {
		return err
	}
	st, err := stats.New(db, clock.Real{})
	if err != nil {
		return err
	}
	today := time.Now().In(clock.Beijing)
	q := stats.CadreQuery{University: code, From: today.AddDate(0, 0, -364).Format(stats.DateLayout), To: today.Format(stats.DateLayout)}
	var lines, answers int64
	m.timed(ctx, cadreRow, target{500 * time.Millisecond, "median"},
		fmt.Sprintf("stats.Service.Cadres(university admin) in-process, %s – %s", q.From, q.To),
		func(ctx context.Context) (time.Duration, error) {
			r, err := st.Cadres(ctx, uadm, q)
			lines, answers = int64(len(r.Cadres)), r.Total.Answers
			return 0, err
		})
	note := fmt.Sprintf(" (%d roster entries, %d answers)", lines, answers)
	if added > 0 {
		note += fmt.Sprintf("; %d roster entries added first", added)
	}
	m.amend(cadreRow, note)
	return nil
}

// The in-process rows.
const (
	sweepRow      = "question reminder/overdue sweep, nothing due"
	lookupRow     = "province-admin lookup for escalations"
	overdueRow    = "overdue list and count, province"
	overdueUniRow = "overdue list and count, largest university"
	cadreRow      = "cadre assessment, largest university, last 365 days"
)

// timed runs fn once cold and then up to 5 more times within a minute;
// fn returns the time to count (0: the time of the whole call).
func (m *meter) timed(ctx context.Context, what string, t target, how string, fn func(context.Context) (time.Duration, error)) {
	if !m.want(what) {
		return
	}
	logf("measuring: %s", what)
	r := result{what: what, target: "< " + fmtDur(t.limit) + " (" + t.what + ")", how: how}
	var ds []time.Duration
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 6 && time.Now().Before(deadline); i++ {
		cctx, cancel := context.WithTimeout(ctx, m.o.statsTimeout)
		start := time.Now()
		d, err := fn(cctx)
		if d == 0 {
			d = time.Since(start)
		}
		cancel()
		if err != nil {
			r.figure = "failed: " + shortErr(err)
			r.setMet(false)
			m.rep.add(r)
			return
		}
		ds = append(ds, d)
	}
	cold, warm := ds[0], ds[1:]
	if len(warm) == 0 {
		warm = ds
	}
	slices.Sort(warm)
	med := warm[len(warm)/2]
	r.figure = fmt.Sprintf("median %s, max %s (cold %s)", fmtDur(med), fmtDur(warm[len(warm)-1]), fmtDur(cold))
	r.setMet(med < t.limit)
	m.rep.add(r)
}

// memory holds o.conns keep-alive connections on /h5/home with wrk and
// reads the server's resident memory meanwhile.
func (m *meter) memory(ctx context.Context, server *benchproc.Process, cookie string) {
	what := fmt.Sprintf("server memory, %d keep-alive connections on /h5/home", m.o.conns)
	if !m.want(what) {
		return
	}
	logf("measuring: %s", what)
	r := result{what: what, target: "< 150 MB (peak RSS)"}
	if _, err := exec.LookPath("wrk"); err != nil {
		r.figure, r.how = "not measured", "wrk is not installed (apt-get install -y wrk; make bench-scale does it)"
		m.rep.add(r)
		return
	}
	args := []string{"-t2", "-c" + strconv.Itoa(m.o.conns), "-d" + strconv.Itoa(int(m.o.rssDuration.Seconds())) + "s",
		"--timeout", "10s", "-H", "Cookie: " + cookie, server.URL + "/h5/home"}
	cmd := exec.CommandContext(ctx, "wrk", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before := rss(server.PID())
	if err := cmd.Start(); err != nil {
		r.figure = "failed: " + err.Error()
		m.rep.add(r)
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var werr error
loop:
	for {
		select {
		case werr = <-done:
			break loop
		case <-tick.C:
			peak = max(peak, rss(server.PID()))
		}
	}
	hwm := benchproc.PeakRSS(server.PID())
	reqs := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "requests in") || strings.Contains(l, "Requests/sec") || strings.Contains(l, "Non-2xx") || strings.Contains(l, "Socket errors") {
			reqs += strings.TrimSpace(l) + "; "
		}
	}
	if werr != nil {
		r.figure = "wrk failed: " + werr.Error()
		r.how = strings.TrimSpace(out.String())
		m.rep.add(r)
		return
	}
	r.figure = fmt.Sprintf("peak RSS %s (VmHWM %s, %s before)", mb(peak), mb(hwm), mb(before))
	r.how = "wrk " + strings.Join(args[:len(args)-3], " ") + " …/h5/home: " + strings.TrimSuffix(reqs, "; ")
	r.setMet(hwm < 150<<20)
	m.rep.add(r)
}

// rss is VmRSS of pid in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

// raiseFileLimit lets wrk and the server hold 1,000 connections each.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < 65536 {
		l.Cur = min(max(l.Max, l.Cur), 65536)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// login signs in as account with the bench password.
func login(ctx context.Context, base, account string) (string, error) {
	return benchproc.Login(ctx, base, account, benchPassword)
}

func loadAvg() string { return benchproc.LoadAvg() }

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "? RAM"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			kb, _ := strconv.ParseInt(f[0], 10, 64)
			return fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20))
		}
	}
	return "? RAM"
}

func shortErr(err error) string {
	s := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s = "timed out"
	case errors.Is(err, io.EOF), strings.HasSuffix(s, ": EOF"):
		s = "the server closed the connection (its write timeout)"
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
