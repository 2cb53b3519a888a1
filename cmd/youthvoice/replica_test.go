package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
)

// TestStatsReadTheReplica runs the server as `youthvoice serve` does with
// YV_MYSQL_DSN on the CI replication pair's primary and
// YV_MYSQL_REPLICA_DSN on its replica (through a proxy the test can cut),
// and reads the statistics as the province admin.
func TestStatsReadTheReplica(t *testing.T) {
	primaryDSN, replicaDSN := dbtest.ReplicaPair(t)
	rcfg, err := mysql.ParseDSN(replicaDSN)
	if err != nil {
		t.Fatal(err)
	}
	px := newTCPProxy(t, rcfg.Addr)
	rcfg.Addr = px.addr

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := "http://" + ln.Addr().String()
	vars := env{
		"YV_ADDR": ln.Addr().String(), "YV_PUBLIC_URL": self, "YV_DATA_DIR": t.TempDir(), "YV_LOG_LEVEL": "info",
		"YV_MYSQL_DSN": primaryDSN, "YV_MYSQL_REPLICA_DSN": rcfg.FormatDSN(), "YV_ADMIN_PASSWORD": "Replica2026",
	}
	if _, _, err := runCmd(t, vars, "admin", "create", "replprov01"); err != nil {
		t.Fatalf("admin create: %v", err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := open(ctx, "", vars.get, logs)
	if err != nil {
		cancel()
		t.Fatalf("open: %v", err)
	}
	if err := b.migrate(ctx); err != nil {
		cancel()
		b.close()
		t.Fatalf("migrate: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, b, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop")
		}
		b.close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	waitHealthy(t, self)

	primary, replica := sqlConn(t, primaryDSN), sqlConn(t, replicaDSN)
	var uni struct {
		ID   uint64
		Code string
	}
	if err := primary.Raw("SELECT id, code FROM universities ORDER BY code LIMIT 1").Scan(&uni).Error; err != nil {
		t.Fatal(err)
	}
	addUser := func(g *gorm.DB, id uint64, account string) {
		t.Helper()
		now := time.Now().UTC()
		if err := g.Exec("INSERT INTO users (id, account, account_key, password_hash, university_id, role, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, 'student', ?, ?)",
			id, account, account, uni.ID, now, now).Error; err != nil {
			t.Fatal(err)
		}
	}

	admin := newAdminClient(t, self, "replprov01", "Replica2026")
	type report struct {
		GeneratedAt time.Time `json:"generated_at"`
		AsOf        time.Time `json:"as_of"`
		Rows        []struct {
			University struct{ Code string } `json:"university"`
			Users      int64                 `json:"users"`
		} `json:"universities"`
	}
	users := func() (int64, report, bool) {
		var r report
		if !admin.getJSON("/api/v1/admin/stats", &r) {
			return -1, r, false
		}
		for _, row := range r.Rows {
			if row.University.Code == uni.Code {
				return row.Users, r, true
			}
		}
		t.Fatalf("university %s not in the report", uni.Code)
		return 0, r, false
	}
	eventually := func(what string, want int64) report {
		t.Helper()
		var last int64
		// A write reaches the statistics with the roll-ups' next pass
		// (every 15 s), then through replication.
		for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			n, r, ok := users()
			if ok && n == want {
				return r
			}
			last = n
		}
		t.Fatalf("%s: the statistics show %d users at %s, want %d", what, last, uni.Code, want)
		return report{}
	}

	// The statistics read the roll-ups, which the primary builds when the
	// server starts: wait until the replica has them.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var built int64
		replica.Raw("SELECT COUNT(*) FROM stats_state WHERE name = 'built' AND time_at IS NOT NULL").Scan(&built)
		if built == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the roll-ups never reached the replica")
		}
	}
	// A roll-up row the replica alone has (root may write to the
	// read-only replica; a day the primary never writes): the statistics
	// count it, so they are read on the replica.
	if err := replica.Exec("INSERT INTO stats_daily (university_id, day, new_users, computed_at) VALUES (?, 20000101, 1, ?)",
		uni.ID, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	eventually("a row only the replica has", 1)
	// A user added on the primary reaches them through replication.
	addUser(primary, 1<<40+1, "fromprimary02")
	r := eventually("a row written on the primary", 2)

	// The figures are as of the replica's heartbeat.
	var beat time.Time
	replica.Raw("SELECT beat_at FROM report_heartbeats WHERE id = 1").Scan(&beat)
	// The roll-ups' last pass may be up to a pass (15 s) before it.
	if r.AsOf.After(r.GeneratedAt) || r.AsOf.Before(beat.Add(-30*time.Second).Truncate(time.Second)) || r.AsOf.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("as_of %v (generated %v, replica heartbeat %v)", r.AsOf, r.GeneratedAt, beat)
	}
	page := admin.get("/h5/admin/stats")
	m := regexp.MustCompile(`<span id="as-of">数据截至 (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</span>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page does not say 数据截至:\n%s", page)
	}
	shown, err := time.ParseInLocation("2006-01-02 15:04:05", m[1], clock.Beijing)
	if err != nil || shown.Before(r.AsOf) || shown.After(time.Now()) {
		t.Fatalf("数据截至 %s (%v), want Beijing time at or after the API's as_of %v", m[1], err, r.AsOf)
	}

	// The replica goes away: the statistics come from the primary (which
	// never had the replica-only row), with one WARN in the log.
	px.stop()
	eventually("with the replica down", 1)
	for range 5 {
		if n, _, ok := users(); !ok || n != 1 {
			t.Fatalf("with the replica down the statistics show %d (ok %v), want the primary's 1", n, ok)
		}
	}
	if n := strings.Count(logs.String(), "只读副本不可用"); n != 1 {
		t.Fatalf("%d WARN about the replica being down, want 1:\n%s", n, logs.String())
	}
	// Back: the replica's figures again.
	px.start(px.addr)
	eventually("with the replica back", 2)
}

func sqlConn(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	g, err := gorm.Open(gmysql.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := g.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return g
}

// adminClient is a browser signed in with a password.
type adminClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newAdminClient(t *testing.T, base, account, password string) *adminClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &adminClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	a.get("/h5/login") // the CSRF cookie
	var csrf string
	for _, c := range jar.Cookies(mustURL(t, base)) {
		if c.Name == "yv_csrf" {
			csrf = c.Value
		}
	}
	body, _ := json.Marshal(map[string]string{"account": account, "password": password})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("login: %d %s", resp.StatusCode, out)
	}
	return a
}

func (a *adminClient) get(path string) string {
	a.t.Helper()
	resp, err := a.c.Get(a.base + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out)
}

// getJSON decodes the data of an API answer; false on a non-200 answer
// (a report that was on its way to a replica that went away).
func (a *adminClient) getJSON(path string, v any) bool {
	a.t.Helper()
	resp, err := a.c.Get(a.base + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var env struct{ Data json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		a.t.Fatal(err)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		a.t.Fatal(err)
	}
	return true
}

// tcpProxy forwards connections to a server and can drop them all, as a
// replica that goes down does.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
