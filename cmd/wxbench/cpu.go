package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting per run, from /proc: what the server under test, its
// stores (redis-server, mariadbd) and the load generator used, and what
// everything else on the machine used meanwhile. The per-request CPU of
// server + stores compares the two servers even on a busy machine; the
// "other" share says how busy it was.

const clockTicks = 100 // USER_HZ on Linux

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// machineBusy is the user and system time of all CPUs so far: the time
// processes ran. irq, softirq (loopback TCP is mostly softirq), steal and
// guest time belong to no process and are left out, so that they are not
// taken for someone else's load.
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
	return ticks(busy)
}

// procCPU is the user+system time of pid so far (0 when it is gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
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
	return ticks(u + s)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidsByName finds running processes by their command name.
func pidsByName(names ...string) []int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || !want[strings.TrimSpace(string(comm))] {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

type meter struct {
	start           time.Time
	busy, srv, deps time.Duration
	self            time.Duration
	serverPID       int
	depPIDs         []int
}

func sumCPU(pids []int) time.Duration {
	var t time.Duration
	for _, p := range pids {
		t += procCPU(p)
	}
	return t
}

func startMeter(serverPID int, depPIDs []int) *meter {
	return &meter{start: time.Now(), busy: machineBusy(), srv: procCPU(serverPID), deps: sumCPU(depPIDs),
		self: selfCPU(), serverPID: serverPID, depPIDs: depPIDs}
}

// usage is one run's CPU.
type usage struct {
	server, deps, load, other time.Duration
	wall                      time.Duration
}

// otherShare is the fraction of the machine used by everything else.
func (u usage) otherShare() float64 {
	return float64(u.other) / (float64(u.wall) * float64(runtime.NumCPU()))
}

// stop ends the measurement; extLoad is the CPU of a load generator run
// as a child process (wrk), already reaped.
func (m *meter) stop(extLoad time.Duration) usage {
	u := usage{
		wall:   time.Since(m.start),
		server: procCPU(m.serverPID) - m.srv,
		deps:   sumCPU(m.depPIDs) - m.deps,
		load:   selfCPU() - m.self + extLoad,
	}
	u.other = machineBusy() - m.busy - u.server - u.deps - u.load
	if u.other < 0 {
		u.other = 0
	}
	return u
}
