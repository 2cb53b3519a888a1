package benchproc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary re-executed as a child server: BENCHPROC_CHILD=serve
// answers /healthz on BENCHPROC_PORT and logs slog-style JSON lines;
// =fail exits at once.
func TestMain(m *testing.M) {
	switch os.Getenv("BENCHPROC_CHILD") {
	case "serve":
		os.Stdout.WriteString(`{"level":"INFO","msg":"listening"}` + "\n" +
			`{"level":"WARN","msg":"slow","err":"db"}` + "\n" +
			"not json\n" +
			`{"level":"ERROR","msg":"failed","err":"boom"}` + "\n" +
			`{"level":"ERROR","msg":"failed","err":"boom"}` + "\n")
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("BENCHPROC_PORT"))
		if err != nil {
			os.Exit(3)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
		_ = http.Serve(ln, mux) // killed by SIGTERM: the default action ends the process
		os.Exit(0)
	case "fail":
		os.Stdout.WriteString("cannot start: bad config\n")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T, mode string) *Process {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("YV_SHOULD_NOT_PASS", "1")
	p, err := Start("child", self, filepath.Join(t.TempDir(), "child.log"), port,
		[]string{"BENCHPROC_CHILD=" + mode, "BENCHPROC_PORT=" + strconv.Itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(5 * time.Second) })
	return p
}

func TestProcessLifecycle(t *testing.T) {
	p := startChild(t, "serve")
	ctx := context.Background()
	if err := p.WaitHealthy(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !p.Running() || p.Err() != nil || p.PID() <= 0 {
		t.Fatalf("a healthy child: running %v, err %v, pid %d", p.Running(), p.Err(), p.PID())
	}
	env, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID()) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(env), "YV_SHOULD_NOT_PASS") || !strings.Contains(string(env), "BENCHPROC_CHILD=serve") {
		t.Fatalf("the child's environment must drop the parent's YV_* and carry env: %q", env)
	}
	errs := p.LogLines("ERROR")
	if len(errs) != 2 || errs[0].String() != "failed: boom" {
		t.Fatalf("ERROR lines %+v", errs)
	}
	if got := p.LogLines("WARN", "ERROR"); len(got) != 3 || got[0].String() != "slow: db" {
		t.Fatalf("WARN and ERROR lines %+v", got)
	}
	if tail := p.LogTail(2); tail != "  | "+`{"level":"ERROR","msg":"failed","err":"boom"}`+"\n  | "+`{"level":"ERROR","msg":"failed","err":"boom"}` {
		t.Fatalf("tail %q", tail)
	}
	// SIGTERM's default action ends it: Stop reports how, and CPU is then
	// read from the process state.
	err = p.Stop(5 * time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("Stop = %v, want the signal exit", err)
	}
	if p.Running() || p.Err() == nil {
		t.Fatalf("after Stop: running %v, err %v", p.Running(), p.Err())
	}
	if p.CPU() <= 0 {
		t.Fatalf("CPU of an exited child %v", p.CPU())
	}
	if err := p.Stop(time.Second); !errors.As(err, &exit) {
		t.Fatalf("a second Stop = %v, want the same exit", err)
	}
}

func TestWaitHealthyReportsAnEarlyExit(t *testing.T) {
	p := startChild(t, "fail")
	err := p.WaitHealthy(context.Background(), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before answering /healthz") || !strings.Contains(err.Error(), "cannot start: bad config") {
		t.Fatalf("WaitHealthy = %v, want the exit and the log tail", err)
	}
}

func TestCPUAccounting(t *testing.T) {
	self, busy := SelfCPU(), MachineBusy()
	// Burn at least 50 ms of CPU in this process.
	for x := 0; SelfCPU()-self < 50*time.Millisecond; x++ {
		_ = strconv.Itoa(x)
	}
	if d := MachineBusy() - busy; d < 40*time.Millisecond {
		t.Fatalf("the machine was busy %v while this process used %v", d, SelfCPU()-self)
	}
	if own := ProcCPU(os.Getpid()); own < 40*time.Millisecond {
		t.Fatalf("ProcCPU(self) = %v after burning 50 ms", own)
	}
	if SumCPU([]int{os.Getpid(), os.Getpid()}) < 2*ProcCPU(os.Getpid())-20*time.Millisecond {
		t.Fatal("SumCPU does not add up")
	}
	if ProcCPU(-1) != 0 {
		t.Fatal("ProcCPU of no process must be 0")
	}
	// This process has touched a 32 MiB buffer: its peak is at least that.
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = 1
	}
	if peak := PeakRSS(os.Getpid()); peak < int64(len(buf)) {
		t.Fatalf("PeakRSS(self) = %d after touching %d bytes", peak, len(buf))
	}
	if PeakRSS(-1) != 0 {
		t.Fatal("PeakRSS of no process must be 0")
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSpace(string(comm))
	found := PidsByName(name, "no-such-process-name")
	if len(found["no-such-process-name"]) != 0 {
		t.Fatalf("found %v", found)
	}
	ok := false
	for _, pid := range found[name] {
		ok = ok || pid == os.Getpid()
	}
	if !ok {
		t.Fatalf("PidsByName(%q) = %v, missing this process %d", name, found, os.Getpid())
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := CountLines([]string{"a", "b", "a", "a"}); !reflect.DeepEqual(got, []string{"3x a", "1x b"}) {
		t.Fatalf("CountLines = %v", got)
	}
	if got := WithoutYV([]string{"PATH=/bin", "YV_ADDR=:1", "HOME=/root"}); !reflect.DeepEqual(got, []string{"PATH=/bin", "HOME=/root"}) {
		t.Fatalf("WithoutYV = %v", got)
	}
	t.Setenv("BENCHPROC_X", "")
	if EnvOr("BENCHPROC_X", "d") != "d" {
		t.Fatal("an empty variable takes the default")
	}
	t.Setenv("BENCHPROC_X", "v")
	if EnvOr("BENCHPROC_X", "d") != "v" {
		t.Fatal("a set variable wins")
	}
	if m := Machine(); !strings.Contains(m, "CPUs (") || !strings.Contains(m, "go1.") {
		t.Fatalf("Machine() = %q", m)
	}
	if _, err := ModuleRoot("hint"); err != nil {
		t.Fatalf("ModuleRoot inside the module: %v", err)
	}
}
