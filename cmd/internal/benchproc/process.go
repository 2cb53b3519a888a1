package benchproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a server under test, run as a child process with its output
// in a log file.
type Process struct {
	Name    string
	URL     string // http://127.0.0.1:port
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // set before exited is closed
}

// Start runs bin with args, listening on port (which env or args must tell
// it), with the parent's environment minus YV_* plus env.
func Start(name, bin, logPath string, port int, env []string, args ...string) (*Process, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(WithoutYV(os.Environ()), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// If the bench dies without cleaning up (SIGKILL, a closed pipe), its
	// servers go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, URL: "http://127.0.0.1:" + strconv.Itoa(port), LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.exited)
	}()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process ended (nil while it runs).
func (p *Process) Err() error {
	if p.Running() {
		return nil
	}
	return p.err
}

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// CPU is the user+system time the process used so far (in full once it
// has exited).
func (p *Process) CPU() time.Duration {
	if !p.Running() && p.cmd.ProcessState != nil {
		return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	}
	return ProcCPU(p.PID())
}

// WaitHealthy polls /healthz until it answers 200.
func (p *Process) WaitHealthy(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before answering /healthz (%v):\n%s", p.Name, p.err, p.LogTail(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s/healthz within %s:\n%s", p.Name, p.URL, within, p.LogTail(30))
		}
	}
}

// Stop sends SIGTERM and waits for a graceful exit, killing the process
// after timeout.
func (p *Process) Stop(timeout time.Duration) error {
	if !p.Running() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %s after SIGTERM", p.Name, timeout)
	}
}

// LogTail is the last n lines of the log, indented for a report.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// LogLine is one slog JSON line of a server's log.
type LogLine struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Err   string `json:"err"`
}

func (l LogLine) String() string {
	if l.Err == "" {
		return l.Msg
	}
	return l.Msg + ": " + l.Err
}

// LogLines returns the log's slog JSON lines at one of levels (e.g.
// "WARN", "ERROR"), oldest first.
func (p *Process) LogLines(levels ...string) []LogLine {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return nil
	}
	var out []LogLine
	for _, l := range bytes.Split(b, []byte("\n")) {
		var ll LogLine
		if json.Unmarshal(l, &ll) == nil && slices.Contains(levels, ll.Level) {
			out = append(out, ll)
		}
	}
	return out
}

// CountLines summarises repeated lines as "3x line", in order of first
// appearance.
func CountLines(lines []string) []string {
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
