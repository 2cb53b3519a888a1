package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

const callbackPath = "/wechat/callback"

// moduleRoot is the directory of the go.mod wxbench is run in.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run wxbench inside the youthvoice module (make bench)")
	}
	return filepath.Dir(mod), nil
}

// build compiles pkg (./cmd/...) into dir as the production build does.
func build(root, dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// server is a child process under test.
type server struct {
	name    string
	url     string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error
}

// start runs bin with args and env (the parent's YV_* variables removed,
// so the project runs in the sandbox whatever the caller's shell holds).
func start(name, bin, logPath string, port int, env []string, args ...string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "YV_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// If wxbench dies without cleaning up (SIGKILL, a closed pipe), the
	// servers go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &server{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	return s, nil
}

// waitHealthy polls /healthz until it answers 200.
func (s *server) waitHealthy(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before answering /healthz (%v):\n%s", s.name, s.err, s.logTail(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s/healthz within %s:\n%s", s.name, s.url, within, s.logTail(30))
		}
	}
}

// stop sends SIGTERM and waits for a graceful exit (the project flushes
// its recorder); it kills the process after timeout.
func (s *server) stop(timeout time.Duration) error {
	select {
	case <-s.exited:
		return s.err
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.err
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not stop within %s after SIGTERM", s.name, timeout)
	}
}

func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// logErrors returns the server's ERROR log lines (slog JSON), oldest first.
func (s *server) logErrors() []logLine {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return nil
	}
	var out []logLine
	for _, l := range bytes.Split(b, []byte("\n")) {
		var ll logLine
		if json.Unmarshal(l, &ll) == nil && ll.Level == "ERROR" {
			out = append(out, ll)
		}
	}
	return out
}

type logLine struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Err   string `json:"err"`
}

func (l logLine) String() string { return l.Msg + ": " + l.Err }

// summarize counts lines by message.
func summarize(lines []logLine) string {
	counts := map[string]int{}
	var order []string
	for _, l := range lines {
		if counts[l.String()] == 0 {
			order = append(order, l.String())
		}
		counts[l.String()]++
	}
	var b strings.Builder
	for _, k := range order {
		fmt.Fprintf(&b, "\n      %dx %s", counts[k], k)
	}
	return b.String()
}

// benchDB is a database created for one bench run and dropped after it.
type benchDB struct {
	admin *sql.DB
	name  string
	dsn   string // for the project (YV_MYSQL_DSN)
	db    *sql.DB
}

func createBenchDB(ctx context.Context, adminDSN string) (*benchDB, error) {
	cfg, err := mysql.ParseDSN(adminDSN)
	if err != nil {
		return nil, fmt.Errorf("-mysql %q: %w", adminDSN, err)
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("MariaDB at %s does not answer (is it running? see .ci/run): %w", cfg.Addr, err)
	}
	name := fmt.Sprintf("yv_bench_%d_%04x", os.Getpid(), randUint64()&0xffff)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return nil, fmt.Errorf("creating the bench database: %w", err)
	}
	cfg.DBName = name
	cfg.ParseTime = true
	b := &benchDB{admin: admin, name: name, dsn: cfg.FormatDSN()}
	if b.db, err = sql.Open("mysql", b.dsn); err != nil {
		b.drop()
		return nil, err
	}
	return b, nil
}

// interactions counts the recorded interactions.
func (b *benchDB) interactions(ctx context.Context) (int64, error) {
	var n int64
	err := b.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM interactions").Scan(&n)
	return n, err
}

// settle waits until the interaction count stops moving (the recorder
// flushes every 200 ms) and returns it.
func (b *benchDB) settle(ctx context.Context) (int64, error) {
	last, err := b.interactions(ctx)
	if err != nil {
		return 0, err
	}
	stable := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		n, err := b.interactions(ctx)
		if err != nil {
			return 0, err
		}
		if n == last {
			if stable++; stable >= 2 {
				return n, nil
			}
			continue
		}
		last, stable = n, 0
	}
	return last, errors.New("the interaction count was still changing after 60s")
}

func (b *benchDB) drop() {
	if b.db != nil {
		b.db.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+b.name+"`"); err != nil {
		fmt.Fprintf(os.Stderr, "wxbench: dropping database %s: %v\n", b.name, err)
	}
	b.admin.Close()
}
