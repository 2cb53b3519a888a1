// Command searchbench measures question search on MariaDB (Mroonga) at
// province volume:
//
//  1. -load N: (re)creates the database search_bench on the server of
//     -mysql, migrates it and writes N questions straight into the table
//     (Chinese built from a vocabulary in which a few topics such as 奖学金
//     come up far more often than the rest, 85% answered, 3% hidden, 2%
//     held for review, over 13 months and 172 boards), then builds the
//     search index with question.RebuildSearch and times it;
//  2. for each query of the table below: its hits, the engine's latency
//     for the first ten pages (model.DB.SearchQuestions, no cache; best
//     and worst of -rounds), and the plan (EXPLAIN);
//  3. unless -rate 0: youthvoice serve on that database, signed in as a
//     province admin, and per query: one request alone, an open loop of
//     GET /api/v1/questions/search at -rate requests a second for
//     -warmup, then one for -duration, measured from each request's due
//     time, p50/p99/max.
//
// The server keeps the first pages of broad or slow searches (see
// service/question/search.go), so each query's first request, timed
// alone, shows the database's work, and the measured loop the steady
// state of a popular search.
//
// Without -load it reuses search_bench as it is. Run it from the
// repository root: go run ./cmd/searchbench -load 1000000.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/question"
)

const (
	dbName        = "search_bench"
	benchAccount  = "searchbench"
	benchPassword = "bench123456"
)

type options struct {
	mysql    string
	redis    string
	redisDB  int
	load     int
	rounds   int
	rate     int
	duration time.Duration
	baseline bool
	warmup   time.Duration
}

type query struct {
	label, q, board string
}

func main() {
	var o options
	flag.StringVar(&o.mysql, "mysql", benchproc.EnvOr("YV_BENCH_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/"), "admin DSN of the MariaDB server (Mroonga enabled)")
	flag.StringVar(&o.redis, "redis", benchproc.EnvOr("YV_BENCH_REDIS_ADDR", "127.0.0.1:6379"), "Redis for the server")
	flag.IntVar(&o.redisDB, "redis-db", 14, "Redis database for the server's sessions (emptied)")
	flag.IntVar(&o.load, "load", 0, "recreate search_bench with this many questions (0: reuse it)")
	flag.IntVar(&o.rounds, "rounds", 5, "runs of each query for the engine latency")
	flag.IntVar(&o.rate, "rate", 100, "requests per second of the open loop through the API (0: none)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of the open loop per query")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "open loop per query before the one measured (after one request alone, timed as 'first')")
	flag.BoolVar(&o.baseline, "baseline", false, "also time the search before migration 12 (LIKE over the questions table) once per query")
	flag.Parse()
	benchproc.Run("searchbench", func(ctx context.Context) error { return run(ctx, o) })
}

func run(ctx context.Context, o options) error {
	cfg, err := mysql.ParseDSN(o.mysql)
	if err != nil {
		return fmt.Errorf("-mysql: %w", err)
	}
	cfg.DBName = ""
	cfg.ParseTime = true
	admin := cfg.FormatDSN()
	cfg.DBName = dbName
	dsn := cfg.FormatDSN()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if o.load > 0 {
		if err := recreate(ctx, admin); err != nil {
			return err
		}
	}
	db, err := model.OpenMySQL(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	if o.load > 0 {
		if err := load(ctx, db, o.load, log); err != nil {
			return err
		}
	}
	var total, public int64
	if err := db.Conn(ctx).Raw("SELECT COUNT(*), COALESCE(SUM(status IN ('open','answered','resolved')), 0) FROM questions").
		Row().Scan(&total, &public); err != nil {
		return err
	}
	var board string
	if err := db.Conn(ctx).Raw("SELECT b.`key` FROM questions q JOIN boards b ON b.id = q.board_id " +
		"GROUP BY b.`key` ORDER BY COUNT(*) DESC LIMIT 1").Scan(&board).Error; err != nil {
		return err
	}
	queries := []query{
		{"common word", commonWord, ""},
		{"common word, largest board", commonWord, board},
		{"two common words", commonWord + " " + secondWord, ""},
		{"less common word", rareWord, ""},
		{"Latin and digits", latinWord, ""},
		{"no hits", noHitWord, ""},
		{"common word and a no-hit word", commonWord + " " + noHitWord, ""},
	}

	fmt.Printf("searchbench: %s; MariaDB %s; load average %s\n", benchproc.Machine(), serverVersion(ctx, db), loadAvg())
	fmt.Printf("%d questions, %d published (searchable); largest board %s\n\n", total, public, board)
	if err := engine(ctx, db, queries, o.rounds); err != nil {
		return err
	}
	if o.baseline {
		if err := likeBaseline(ctx, db, queries); err != nil {
			return err
		}
	}
	if o.rate > 0 {
		return throughAPI(ctx, o, dsn, queries)
	}
	return nil
}

func serverVersion(ctx context.Context, db *model.DB) string {
	var v, mr string
	_ = db.Conn(ctx).Raw("SELECT VERSION()").Scan(&v).Error
	_ = db.Conn(ctx).Raw("SELECT @@mroonga_version").Scan(&mr).Error
	return v + ", Mroonga " + mr
}

func recreate(ctx context.Context, admin string) error {
	db, err := model.OpenMySQL(ctx, admin)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range []string{"DROP DATABASE IF EXISTS " + dbName,
		"CREATE DATABASE " + dbName + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"} {
		if err := db.Conn(ctx).Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// load writes n questions and an admin to sign in with, then builds the
// search index.
func load(ctx context.Context, db *model.DB, n int, log *slog.Logger) error {
	store, err := kv.NewMemory(clock.Real{})
	if err != nil {
		return err
	}
	defer store.Close()
	accounts, err := account.New(db, store, clock.Real{}, log, account.Options{})
	if err != nil {
		return err
	}
	if _, err := accounts.CreateProvinceAdmin(ctx, benchAccount, benchPassword, "压测"); err != nil {
		return err
	}
	var boards []uint64
	if err := db.Conn(ctx).Raw("SELECT id FROM boards ORDER BY id").Scan(&boards).Error; err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2026, 19)) //nolint:gosec // reproducible test data, not a secret
	end := time.Now().UTC().Truncate(time.Second)
	start := end.AddDate(0, -13, 0)
	span := end.Sub(start)
	t0 := time.Now()
	const batch = 1000
	cols := "(board_id, university_id, asker_id, title, body, anonymous, status, due_at, created_at, updated_at, rating, rating_comment, hidden_reason)"
	for done := 0; done < n; done += batch {
		var sb strings.Builder
		args := make([]any, 0, batch*10)
		sb.WriteString("INSERT INTO questions " + cols + " VALUES ")
		for i := 0; i < batch && done+i < n; i++ {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '')")
			at := start.Add(time.Duration(float64(span) * float64(done+i) / float64(n)))
			// Boards: a few large ones, as universities differ in size.
			b := boards[int(float64(len(boards))*rng.Float64()*rng.Float64())]
			status := model.QuestionAnswered
			switch f := rng.Float64(); {
			case f < 0.10:
				status = model.QuestionOpen
			case f < 0.13:
				status = model.QuestionHidden
			case f < 0.15:
				status = model.QuestionReview
			case f < 0.40:
				status = model.QuestionResolved
			}
			args = append(args, b, 1+rng.IntN(166), 1+rng.IntN(500000), questionTitle(rng), questionBody(rng),
				rng.IntN(10) == 0, status, at.Add(24*time.Hour), at, at)
		}
		if err := db.Conn(ctx).Exec(sb.String(), args...).Error; err != nil {
			return fmt.Errorf("insert questions: %w", err)
		}
		if (done/batch)%100 == 99 {
			fmt.Fprintf(os.Stderr, "searchbench: %d questions written (%s)\n", done+batch, time.Since(t0).Round(time.Second))
		}
	}
	fmt.Fprintf(os.Stderr, "searchbench: %d questions written in %s; building the search index\n", n, time.Since(t0).Round(time.Second))
	t1 := time.Now()
	indexed, err := question.RebuildSearch(ctx, db)
	if err != nil {
		return err
	}
	fmt.Printf("search index built (question.RebuildSearch): %d questions in %s\n", indexed, time.Since(t1).Round(time.Second))
	return nil
}

// engine prints, per query, its hits, the engine's latency for the first
// ten pages without any cache, and the plan.
func engine(ctx context.Context, db *model.DB, queries []query, rounds int) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "query\tq\thits\tengine best\tengine worst\tMroonga ORDER BY … LIMIT\tplan (EXPLAIN)")
	var plans []string
	for _, qq := range queries {
		pieces := model.SearchPieces(qq.q)
		s := model.QuestionSearch{Pieces: pieces, Statuses: []string{"open", "answered", "resolved"}, Limit: 200}
		where, args := "", []any{}
		if qq.board != "" {
			if err := db.Conn(ctx).Raw("SELECT id FROM boards WHERE `key` = ?", qq.board).Scan(&s.BoardID).Error; err != nil {
				return err
			}
			where, args = " AND board_id = ?", []any{s.BoardID}
		}
		against := booleanQuery(pieces)
		var hits int64
		if err := db.Conn(ctx).Raw("SET STATEMENT mroonga_match_escalation_threshold = -1 FOR SELECT COUNT(*) FROM question_search "+
			"WHERE MATCH(title, body) AGAINST(? IN BOOLEAN MODE)"+where, append([]any{against}, args...)...).Scan(&hits).Error; err != nil {
			return err
		}
		fastBefore := fastOrderLimit(ctx, db)
		var took []time.Duration
		for range rounds {
			t := time.Now()
			if _, err := db.SearchQuestions(ctx, s); err != nil {
				return err
			}
			took = append(took, time.Since(t))
		}
		slices.Sort(took)
		// EXPLAIN shows MySQL's own plan (a filesort); Mroonga sorts and
		// cuts the hits itself when this counter moves with each search.
		fast := "no"
		if fastOrderLimit(ctx, db)-fastBefore >= int64(rounds) {
			fast = "yes"
		}
		type plan struct {
			Table, Type, Key, Extra string
			Rows                    *int64
		}
		var ps []plan
		if err := db.Conn(ctx).Raw("EXPLAIN SELECT question_id FROM question_search WHERE MATCH(title, body) AGAINST(? IN BOOLEAN MODE)"+where+
			" ORDER BY MATCH(title, body) AGAINST(? IN BOOLEAN MODE) DESC, created_at DESC, question_id DESC LIMIT 200",
			append(append([]any{against}, args...), against)...).Scan(&ps).Error; err != nil {
			return err
		}
		for _, p := range ps {
			plans = append(plans, fmt.Sprintf("%s: %s type=%s key=%s extra=%s", qq.label, p.Table, p.Type, p.Key, p.Extra))
		}
		fmt.Fprintf(w, "%s\t%s%s\t%d\t%s\t%s\t%s\t%s\n", qq.label, qq.q, boardNote(qq.board), hits, ms(took[0]), ms(took[len(took)-1]),
			fast, fmt.Sprintf("type=%s key=%s", ps[0].Type, ps[0].Key))
	}
	w.Flush()
	fmt.Println()
	for _, p := range plans {
		fmt.Println("  " + p)
	}
	fmt.Println()
	return nil
}

// likeBaseline times the search as it was before migration 12 on MariaDB:
// each word with LIKE over title and body of the questions table.
func likeBaseline(ctx context.Context, db *model.DB, queries []query) error {
	fmt.Println("before (LIKE '%…%' over questions, one run each):")
	for _, qq := range queries {
		q := db.Conn(ctx).Table("questions").Select("id").Where("status IN ?", []string{"open", "answered", "resolved"})
		if qq.board != "" {
			q = q.Where("board_id = (SELECT id FROM boards WHERE `key` = ?)", qq.board)
		}
		for _, w := range strings.Fields(qq.q) {
			q = q.Where("(title LIKE ? OR body LIKE ?)", "%"+w+"%", "%"+w+"%")
		}
		var ids []uint64
		t := time.Now()
		if err := q.Order("created_at DESC").Order("id DESC").Limit(20).Pluck("id", &ids).Error; err != nil {
			return err
		}
		fmt.Printf("  %-30s %s\n", qq.label, ms(time.Since(t)))
	}
	fmt.Println()
	return nil
}

// fastOrderLimit is Mroonga's count of searches it sorted and cut itself.
func fastOrderLimit(ctx context.Context, db *model.DB) int64 {
	var n int64
	_ = db.Conn(ctx).Raw("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'MROONGA_FAST_ORDER_LIMIT'").Scan(&n).Error
	return n
}

func booleanQuery(pieces []string) string {
	terms := make([]string, len(pieces))
	for i, p := range pieces {
		terms[i] = `+"` + p + `"`
	}
	return strings.Join(terms, " ")
}

func boardNote(b string) string {
	if b == "" {
		return ""
	}
	return " (" + b + ")"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// throughAPI runs youthvoice serve on the database and an open loop per
// query.
func throughAPI(ctx context.Context, o options, dsn string, queries []query) error {
	root, err := benchproc.ModuleRoot("run searchbench from the repository: go run ./cmd/searchbench")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "searchbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := benchproc.Build(root, dir, "./cmd/youthvoice")
	if err != nil {
		return err
	}
	port, err := benchproc.FreePort()
	if err != nil {
		return err
	}
	store, err := kv.NewRedis(ctx, kv.RedisOptions{Addr: o.redis, DB: o.redisDB})
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := benchproc.Start("youthvoice", bin, filepath.Join(dir, "server.log"), port, []string{
		"YV_ADDR=127.0.0.1:" + fmt.Sprint(port), "YV_MYSQL_DSN=" + dsn, "YV_REDIS_ADDR=" + o.redis,
		"YV_REDIS_DB=" + fmt.Sprint(o.redisDB), "YV_LOG_LEVEL=warn", "YV_DATA_DIR=" + filepath.Join(dir, "data"),
	}, "serve")
	if err != nil {
		return err
	}
	defer func() { _ = srv.Stop(10 * time.Second) }()
	if err := srv.WaitHealthy(ctx, 60*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, srv.LogTail(20))
	}
	cookie, err := login(ctx, srv.URL)
	if err != nil {
		return err
	}
	fmt.Printf("through the API: GET /api/v1/questions/search; per query one request alone (first: nothing kept yet), "+
		"an open loop at %d req/s for %s not measured, then one for %s measured from each request's due time\n", o.rate, o.warmup, o.duration)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "query\tfirst\trequests\terrors\tp50\tp99\tmax\tp99 < 100 ms")
	for _, qq := range queries {
		v := url.Values{"q": {qq.q}}
		if qq.board != "" {
			v.Set("board", qq.board)
		}
		u := srv.URL + "/api/v1/questions/search?" + v.Encode()
		first, errs := openLoop(ctx, u, cookie, 1, time.Second)
		if errs > 0 || len(first) != 1 {
			return fmt.Errorf("%s: the first request failed\n%s", qq.label, srv.LogTail(20))
		}
		openLoop(ctx, u, cookie, o.rate, o.warmup)
		lat, errs := openLoop(ctx, u, cookie, o.rate, o.duration)
		if len(lat) == 0 {
			fmt.Fprintf(w, "%s\t%s\t0\t%d\t\t\t\tno\n", qq.label, ms(first[0]), errs)
			continue
		}
		slices.Sort(lat)
		p := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
		met := "yes"
		if p(0.99) >= 100*time.Millisecond || errs > 0 {
			met = "no"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", qq.label, ms(first[0]), len(lat)+errs, errs, ms(p(0.5)), ms(p(0.99)), ms(lat[len(lat)-1]), met)
	}
	w.Flush()
	fmt.Printf("load average after: %s\n", loadAvg())
	return nil
}

// openLoop sends GET url at rate a second for d, each at its due time
// whatever the earlier ones are doing, and returns each latency from the
// due time.
func openLoop(ctx context.Context, u, cookie string, rate int, d time.Duration) ([]time.Duration, int) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	n := int(d.Seconds() * float64(rate))
	start := time.Now()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			req.Header.Set("Cookie", cookie)
			req.Header.Set("Accept", "application/json")
			resp, err := client.Do(req)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			took := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				lat = append(lat, took)
			} else {
				errs++
			}
		}()
	}
	wg.Wait()
	return lat, errs
}

// login signs in as the bench account.
func login(ctx context.Context, base string) (string, error) {
	return benchproc.Login(ctx, base, benchAccount, benchPassword)
}

func loadAvg() string { return benchproc.LoadAvg() }
