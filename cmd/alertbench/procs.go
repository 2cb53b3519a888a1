package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// moduleRoot is the directory of the go.mod alertbench runs in.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run alertbench inside the youthvoice module (make bench-alerts), or pass -bin")
	}
	return filepath.Dir(mod), nil
}

// build compiles ./cmd/youthvoice into dir as `make build` does.
func build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "youthvoice")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/youthvoice")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/youthvoice: %w\n%s", err, out)
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

// withoutYV drops the YV_* variables from env.
func withoutYV(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "YV_") {
			out = append(out, kv)
		}
	}
	return out
}

// instance is one `youthvoice serve` child process.
type instance struct {
	name    string
	url     string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error
}

// startInstance runs `bin serve` with env; the parent's YV_* variables are
// dropped so the caller's shell cannot change what is measured.
func startInstance(name, bin, logPath string, port int, env []string) (*instance, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(withoutYV(os.Environ()), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// If alertbench dies without cleaning up, the instances go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	in := &instance{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		in.err = cmd.Wait()
		lf.Close()
		close(in.exited)
	}()
	return in, nil
}

func (in *instance) running() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// cpu is the CPU time the instance used so far (in full once it exited).
func (in *instance) cpu() time.Duration {
	if !in.running() && in.cmd.ProcessState != nil {
		return in.cmd.ProcessState.UserTime() + in.cmd.ProcessState.SystemTime()
	}
	return procCPU(in.cmd.Process.Pid)
}

// stop sends SIGTERM and waits for a graceful exit, killing after timeout.
func (in *instance) stop(timeout time.Duration) error {
	if !in.running() {
		return in.err
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		return in.err
	case <-time.After(timeout):
		_ = in.cmd.Process.Kill()
		<-in.exited
		return fmt.Errorf("%s did not stop within %s after SIGTERM", in.name, timeout)
	}
}

// metrics fetches the instance's /metrics exposition.
func (in *instance) metrics(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// /metrics is served once the listener is up; the sender starts a
	// moment earlier, so retry briefly.
	var last error
	for range 20 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.url+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return string(b), nil
			}
			err = fmt.Errorf("GET %s/metrics: %s", in.url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return "", last
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", last
}

func (in *instance) logTail(n int) string {
	b, err := os.ReadFile(in.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// issues returns the instance's WARN and ERROR log lines (slog JSON).
func (in *instance) issues() []string {
	b, err := os.ReadFile(in.logPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		var ll struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Err   string `json:"err"`
		}
		if json.Unmarshal(l, &ll) != nil || (ll.Level != "WARN" && ll.Level != "ERROR") {
			continue
		}
		s := ll.Level + " " + ll.Msg
		if ll.Err != "" {
			s += ": " + ll.Err
		}
		out = append(out, s)
	}
	return out
}

// countLines summarises repeated lines as "3x line".
func countLines(lines []string) []string {
	counts := map[string]int{}
	var order []string
	for _, l := range lines {
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	out := make([]string, len(order))
	for i, l := range order {
		out[i] = fmt.Sprintf("%dx %s", counts[l], l)
	}
	return out
}

// CPU accounting from /proc.

const clockTicks = 100 // USER_HZ on Linux

// procCPU is the user+system time of pid so far (0 when it is gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// utime and stime are fields 14 and 15 of the line, counted after the
	// parenthesised command name (which may contain spaces).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / clockTicks
}

// machineBusy is the user and system time of all CPUs so far (irq,
// softirq, steal belong to no process and are left out).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 4 || f[0] != "cpu" {
		return 0
	}
	var busy uint64
	for _, s := range f[1:4] { // user, nice, system
		v, _ := strconv.ParseUint(s, 10, 64)
		busy += v
	}
	return time.Duration(busy) * time.Second / clockTicks
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidsByName finds running processes by command name.
func pidsByName(names ...string) map[string][]int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue
		}
		if n := strings.TrimSpace(string(comm)); want[n] {
			out[n] = append(out[n], pid)
		}
	}
	return out
}

// depsCPU is the CPU used so far by the local MariaDB and Redis servers,
// by component ("mariadbd", "redis-server"); absent when not local.
func depsCPU(pids map[string][]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, ps := range pids {
		key := name
		if key == "mysqld" {
			key = "mariadbd"
		}
		for _, p := range ps {
			out[key] += procCPU(p)
		}
	}
	return out
}
