package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/stats"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

// syncBuffer is an io.Writer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

// sandboxEnv is a minimal environment: no credentials, a temp data dir.
func sandboxEnv(t *testing.T) env {
	return env{"YV_DATA_DIR": t.TempDir(), "YV_LOG_LEVEL": "warn"}
}

var testCreds = env{
	"YV_WECHAT_APPID":   "wxcmdtest00000001",
	"YV_WECHAT_SECRET":  "cmd-test-secret",
	"YV_WECHAT_TOKEN":   "cmdtoken",
	"YV_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}

func (e env) with(more env) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func runCmd(t *testing.T, e env, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = run(ctx, args, e.get, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, env{}, "version")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "youthvoice "+version {
		t.Fatalf("version printed %q", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, err := runCmd(t, env{}, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), "未知命令") || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("unknown command: %v", err)
	}
	if !strings.Contains(stderr, "用法: youthvoice") {
		t.Fatalf("no usage on stderr: %q", stderr)
	}
	if _, _, err := runCmd(t, env{}, "menu", "push"); err == nil || !strings.Contains(err.Error(), "menu sync") {
		t.Fatalf("menu push: %v, want the menu usage", err)
	}
	if _, _, err := runCmd(t, env{}, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v, want flag.ErrHelp", err)
	}
	if _, _, err := runCmd(t, env{}, "--bogus"); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
}

func TestMigrateCreatesSQLiteFile(t *testing.T) {
	e := sandboxEnv(t)
	out, _, err := runCmd(t, e, "migrate")
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out, fmt.Sprintf("数据库已是最新版本 %d", model.LatestVersion())) {
		t.Fatalf("migrate printed %q", out)
	}
	path := filepath.Join(e["YV_DATA_DIR"], "youthvoice.db")
	db, err := model.OpenSQLite(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	vs, err := db.AppliedVersions(context.Background())
	if err != nil || !slices.Equal(vs, model.Versions()) {
		t.Fatalf("%s has versions %v (%v), want %v", path, vs, err, model.Versions())
	}
	// Running it again is harmless.
	if _, _, err := runCmd(t, e, "migrate"); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestConfigFlagBeforeOrAfterCommand(t *testing.T) {
	for _, order := range []string{"before", "after"} {
		t.Run(order, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(file, []byte("data_dir: "+dir+"\nlog_level: warn\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"--config", file, "migrate"}
			if order == "after" {
				args = []string{"migrate", "--config", file}
			}
			if _, _, err := runCmd(t, env{}, args...); err != nil {
				t.Fatalf("migrate with --config: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "youthvoice.db")); err != nil {
				t.Fatalf("the file's data_dir was not used: %v", err)
			}
		})
	}
}

// deploy/README.md documents `youthvoice menu sync --config FILE`.
func TestMenuSyncConfigFlagAfterSubcommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	bad := writeMenu(t, `{"button": []}`)
	if err := os.WriteFile(file, []byte("menu_file: "+bad+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--config", file, "menu", "sync"},
		{"menu", "--config", file, "sync"},
		{"menu", "sync", "--config", file},
	} {
		_, _, err := runCmd(t, env{}, args...)
		if err == nil || !strings.Contains(err.Error(), "菜单配置有误") {
			t.Errorf("%q: %v, want the file's menu_file to be validated", args, err)
		}
	}
	if _, _, err := runCmd(t, env{}, "menu", "sync", "extra"); err == nil || !strings.Contains(err.Error(), "menu sync") {
		t.Errorf("menu sync extra: %v, want the usage", err)
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		env  env
		want string
		cmds []string
	}{
		{"AES key of 10 chars", testCreds.with(env{"YV_WECHAT_AES_KEY": "0123456789"}), "YV_WECHAT_AES_KEY", []string{"migrate", "serve"}},
		{"unparsable MySQL DSN", env{"YV_MYSQL_DSN": "this is not a dsn"}, "YV_MYSQL_DSN", []string{"migrate", "serve"}},
		// Connection refused: go-redis retries for a second or two, so
		// one command is enough.
		{"Redis on a closed port", env{"YV_REDIS_ADDR": "127.0.0.1:1"}, "YV_REDIS_ADDR", []string{"serve"}},
		{"bad public URL", env{"YV_PUBLIC_URL": "wx.example.org"}, "YV_PUBLIC_URL", []string{"migrate", "serve"}},
		{"unusable listen address", env{"YV_ADDR": "256.0.0.1:99999"}, "YV_ADDR", []string{"serve"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range tc.cmds {
				_, _, err := runCmd(t, sandboxEnv(t).with(tc.env), cmd)
				if err == nil {
					t.Fatalf("%s started with a bad setting", cmd)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: error %q does not name %s", cmd, err, tc.want)
				}
			}
		})
	}
}

func TestMenuSyncSandbox(t *testing.T) {
	e := sandboxEnv(t)
	out, _, err := runCmd(t, e, "menu", "sync")
	if err != nil {
		t.Fatalf("menu sync: %v", err)
	}
	if !strings.Contains(out, "菜单校验通过") || !strings.Contains(out, "沙箱模式") {
		t.Fatalf("menu sync printed %q", out)
	}
	// Validation only: nothing is opened or created.
	if _, err := os.Stat(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db")); err == nil {
		t.Error("sandbox menu sync created the database")
	}
}

func writeMenu(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "menu.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMenuSyncPushesToWeChat(t *testing.T) {
	fake := wxfake.New()
	fake.AddApp(testCreds["YV_WECHAT_APPID"], testCreds["YV_WECHAT_SECRET"])
	srv := httptest.NewServer(fake)
	defer srv.Close()
	e := sandboxEnv(t).with(testCreds).with(env{
		"YV_WECHAT_API_BASE": srv.URL,
		"YV_PUBLIC_URL":      "https://wx.example.org",
	})

	out, _, err := runCmd(t, e, "menu", "sync")
	if err != nil {
		t.Fatalf("menu sync: %v", err)
	}
	if !strings.Contains(out, "菜单已推送到微信") {
		t.Fatalf("menu sync printed %q", out)
	}
	raw := fake.Menu(testCreds["YV_WECHAT_APPID"])
	var got struct {
		Button []struct {
			Name      string `json:"name"`
			SubButton []struct {
				Type string `json:"type"`
				Name string `json:"name"`
				URL  string `json:"url"`
				Key  string `json:"key"`
			} `json:"sub_button"`
		} `json:"button"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("the fake has no menu (%s): %v", raw, err)
	}
	if len(got.Button) != 3 || got.Button[0].Name != "青年之声" || got.Button[1].Name != "青年之家" || got.Button[2].Name != "帮助" {
		t.Fatalf("pushed menu = %s", raw)
	}
	views := 0
	for _, b := range got.Button {
		for _, sb := range b.SubButton {
			if sb.Type == "view" {
				views++
				if !strings.HasPrefix(sb.URL, "https://wx.example.org/h5/") {
					t.Errorf("%s links to %q, not under YV_PUBLIC_URL", sb.Name, sb.URL)
				}
			}
		}
	}
	if views != 6 {
		t.Errorf("%d view buttons pushed, want 6", views)
	}
	if len(fake.CallsTo("/cgi-bin/stable_token")) != 1 {
		t.Errorf("token fetched %d times, want once via stable_token", len(fake.CallsTo("/cgi-bin/stable_token")))
	}

	// WeChat refusing the menu is reported with its errcode.
	fake.FailNext("/cgi-bin/menu/create", 40016)
	_, _, err = runCmd(t, e, "menu", "sync")
	if err == nil || !strings.Contains(err.Error(), "推送菜单失败") || !strings.Contains(err.Error(), "40016") {
		t.Fatalf("menu sync with WeChat refusing: %v", err)
	}
}

func TestMenuSyncBadMenuFile(t *testing.T) {
	fake := wxfake.New()
	fake.AddApp(testCreds["YV_WECHAT_APPID"], testCreds["YV_WECHAT_SECRET"])
	srv := httptest.NewServer(fake)
	defer srv.Close()
	bad := writeMenu(t, `{
		"button": [{"type": "click", "name": "帮助"}, {"type": "view", "name": "主页", "path": "h5/home"}],
		"welcome": "", "default_reply": "收到"}`)
	for _, tc := range []struct {
		name string
		env  env
	}{
		{"sandbox", sandboxEnv(t)},
		{"credentials", sandboxEnv(t).with(testCreds).with(env{"YV_WECHAT_API_BASE": srv.URL})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, tc.env.with(env{"YV_MENU_FILE": bad}), "menu", "sync")
			if err == nil {
				t.Fatal("a bad menu file was accepted")
			}
			for _, want := range []string{"菜单配置有误", "click 菜单必须设置 key", "path 必须以 / 开头", "welcome"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not list %q:\n%v", want, err)
				}
			}
			if m := fake.Menu(testCreds["YV_WECHAT_APPID"]); m != nil {
				t.Errorf("a bad menu reached WeChat: %s", m)
			}
		})
	}
	_, _, err := runCmd(t, sandboxEnv(t).with(env{"YV_MENU_FILE": filepath.Join(t.TempDir(), "missing.json")}), "menu", "sync")
	if err == nil || !strings.Contains(err.Error(), "YV_MENU_FILE") {
		t.Fatalf("missing menu file: %v, want an error naming YV_MENU_FILE", err)
	}
}

// slowStore makes /readyz take a while when slow is set, to hold a
// request in flight during shutdown.
type slowStore struct {
	kv.Store
	slow    atomic.Bool
	entered chan struct{}
	done    atomic.Int64 // unix nanos when the slow ping finished
}

func (s *slowStore) Ping(ctx context.Context) error {
	if s.slow.Load() {
		s.entered <- struct{}{}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
		s.done.Store(time.Now().UnixNano())
	}
	return s.Store.Ping(ctx)
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", base)
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	e := sandboxEnv(t)
	cfg, err := config.Load("", e.get)
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	db, err := model.OpenSQLite(filepath.Join(cfg.DataDir, "youthvoice.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := &slowStore{Store: kvtest.Memory(t, nil), entered: make(chan struct{}, 1)}
	b := &base{cfg: cfg, log: newLogger(&stderr, "info"), db: db, store: store, cred: sandboxCredentials}
	defer b.close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	var returnedAt atomic.Int64
	go func() {
		err := serveOn(ctx, b, ln)
		returnedAt.Store(time.Now().UnixNano())
		served <- err
	}()
	waitHealthy(t, url)

	store.slow.Store(true)
	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(body), err}
	}()
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the /readyz request never reached the store")
	}
	cancel() // SIGTERM while /readyz is in flight

	// The alert sender and the timers stop at once, not after the drain.
	for deadline := time.Now().Add(800 * time.Millisecond); !strings.Contains(stderr.String(), "background work stopped"); {
		if time.Now().After(deadline) {
			t.Fatalf("background work still running 800 ms after the signal:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-got:
		t.Fatalf("the in-flight request ended (%+v) before the check; it should still be held", r)
	default:
	}

	r := <-got
	if r.err != nil {
		t.Fatalf("in-flight request failed during shutdown: %v", r.err)
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, `"kv":"ok"`) {
		t.Fatalf("in-flight request: HTTP %d %s, want 200 with kv ok", r.status, r.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serveOn returned %v after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serveOn did not return after cancellation")
	}
	if returnedAt.Load() < store.done.Load() {
		t.Fatal("serveOn returned before the in-flight request finished")
	}
	// New connections are refused once stopped.
	if resp, err := http.Get(url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still accepts requests after shutdown")
	}
	if !strings.Contains(stderr.String(), "shutting down") || !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("shutdown not logged:\n%s", stderr.String())
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeRunsUntilCancelled(t *testing.T) {
	gc := debug.SetGCPercent(100) // serve sets it; put it back after
	t.Cleanup(func() { debug.SetGCPercent(gc) })
	addr := freePort(t)
	e := sandboxEnv(t).with(env{"YV_ADDR": addr, "YV_LOG_LEVEL": "info"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, e.get, &stdout, &stderr) }()
	url := "http://" + addr
	waitHealthy(t, url)

	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"database":"ok"`) {
		t.Fatalf("/readyz: HTTP %d %s", resp.StatusCode, body)
	}
	// The sandbox serves the fake WeChat API in-process.
	resp, err = http.Post(url+"/sandbox/wxapi/cgi-bin/stable_token", "application/json",
		strings.NewReader(`{"appid":"wxsandbox0000000000","secret":"sandbox-secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"access_token":"FAKE_`) {
		t.Fatalf("sandbox token endpoint: %s", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancellation, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	logs := stderr.String()
	for _, want := range []string{"youthvoice starting", "沙箱模式", `"gc_percent":400`, "stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db")); err != nil {
		t.Errorf("serve did not create the database: %v", err)
	}
}

func TestServeLogDoesNotLeakSecrets(t *testing.T) {
	e := sandboxEnv(t).with(testCreds).with(env{
		"YV_ADDR":           "256.0.0.1:1", // stop right after the startup log
		"YV_LOG_LEVEL":      "info",
		"YV_REDIS_PASSWORD": "",
		"YV_MYSQL_DSN":      "",
	})
	_, stderr, err := runCmd(t, e, "serve")
	if err == nil {
		t.Fatal("serve on an invalid address succeeded")
	}
	if !strings.Contains(stderr, "youthvoice starting") {
		t.Fatalf("no startup log: %s", stderr)
	}
	for _, k := range []string{"YV_WECHAT_SECRET", "YV_WECHAT_TOKEN", "YV_WECHAT_AES_KEY"} {
		if strings.Contains(stderr, testCreds[k]) {
			t.Errorf("startup log contains %s", k)
		}
	}
}

// TestStatsRebuildCommand: after rows are written straight into the
// database (a bulk load the builder's passes do not see), stats-rebuild
// makes the reports count them.
func TestStatsRebuildCommand(t *testing.T) {
	e := sandboxEnv(t)
	if _, _, err := runCmd(t, e, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := model.OpenSQLite(filepath.Join(e["YV_DATA_DIR"], "youthvoice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	svc, err := stats.New(db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Refresh(ctx); err != nil { // built, as a running server would
		t.Fatal(err)
	}
	var uni model.University
	if err := db.Conn(ctx).Order("code").Take(&uni).Error; err != nil {
		t.Fatal(err)
	}
	old := time.Now().UTC().AddDate(0, 0, -3)
	for i := range 3 {
		u := model.User{Account: fmt.Sprintf("bulk%d", i), AccountKey: fmt.Sprintf("bulk%d", i), PasswordHash: "x",
			Role: model.RoleStudent, UniversityID: &uni.ID, CreatedAt: old, UpdatedAt: old}
		if err := db.Conn(ctx).Create(&u).Error; err != nil {
			t.Fatal(err)
		}
	}
	prov := model.User{Role: model.RoleProvinceAdmin}
	users := func() int64 {
		r, err := svc.Report(ctx, prov, stats.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Total.Users
	}
	if n := users(); n != 0 {
		t.Fatalf("before the rebuild the report counts %d bulk-loaded users; the builder should not see them", n)
	}
	out, _, err := runCmd(t, e, "stats-rebuild")
	if err != nil || !strings.Contains(out, "统计汇总已重算") {
		t.Fatalf("stats-rebuild: %q %v", out, err)
	}
	if n := users(); n != 3 {
		t.Fatalf("after stats-rebuild the report counts %d users, want 3", n)
	}
}

// youthvoice calendar lists a year's schedule, with the operator's file
// added; an unknown year says so, a bad file names its line.
func TestCalendarCommand(t *testing.T) {
	out, _, err := runCmd(t, env{}, "calendar", "2026")
	if err != nil || !strings.Contains(out, "2026-10-01 四 国庆节 休") || !strings.Contains(out, "2026-10-10 六 国庆节 班") {
		t.Fatalf("calendar 2026: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "holidays.txt")
	if err := os.WriteFile(file, []byte("2099-01-01 元旦 休\n2099-01-03 元旦 班\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, env{"YV_HOLIDAYS_FILE": file}, "calendar", "2099")
	if err != nil || !strings.Contains(out, "2099-01-03 六 元旦 班") {
		t.Fatalf("calendar 2099 with a file: %v\n%s", err, out)
	}
	if out, _, err = runCmd(t, env{}, "calendar", "2098"); err != nil || !strings.Contains(out, "未知") {
		t.Fatalf("calendar 2098: %v\n%s", err, out)
	}
	if err := os.WriteFile(file, []byte("2099-01-01 元旦\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err = runCmd(t, env{"YV_HOLIDAYS_FILE": file}, "calendar", "2099"); err == nil || !strings.Contains(err.Error(), "第 1 行") {
		t.Fatalf("a bad file: %v", err)
	}
}
