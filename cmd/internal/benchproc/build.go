package benchproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// ModuleRoot is the directory of the go.mod the bench runs in; hint says
// how to run it otherwise.
func ModuleRoot(hint string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New(hint)
	}
	return filepath.Dir(mod), nil
}

// Build compiles pkg (./cmd/...) of the module at root into dir as the
// production build does, and returns the binary's path.
func Build(root, dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// FreePort is a loopback TCP port nobody listens on right now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("unexpected listener address %v", ln.Addr())
	}
	return addr.Port, nil
}

// EnvOr is the environment variable k, or def when it is unset or empty.
func EnvOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// WithoutYV drops the YV_* variables from env, so that the caller's shell
// cannot change what is measured.
func WithoutYV(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "YV_") {
			out = append(out, kv)
		}
	}
	return out
}

// Run runs a bench's main work until it returns or the bench is
// interrupted (SIGINT, SIGTERM, SIGHUP cancel ctx, so that the bench still
// stops its servers and drops its database), and exits 1 with the error.
// A closed stdout (| head) does not kill the bench either.
func Run(name string, run func(ctx context.Context) error) {
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// Machine describes the machine for a report: "2 CPUs (model), os/arch;
// go version".
func Machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	goVersion := runtime.Version()
	if out, err := exec.Command("go", "version").Output(); err == nil {
		goVersion = strings.TrimSpace(strings.TrimPrefix(string(out), "go version "))
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s; %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, goVersion)
}
