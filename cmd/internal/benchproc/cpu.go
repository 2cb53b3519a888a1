package benchproc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting from /proc: what each process involved used, and what
// the whole machine used, so that a bench can report CPU per request and
// how busy the machine was with other work meanwhile.

const clockTicks = 100 // USER_HZ on Linux

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// MachineBusy is the user and system time of all CPUs so far: the time
// processes ran. irq, softirq (loopback TCP is mostly softirq), steal and
// guest time belong to no process and are left out, so that they are not
// taken for someone else's load.
func MachineBusy() time.Duration {
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

// ProcCPU is the user+system time of pid so far (0 when it is gone).
func ProcCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name (which may contain
	// spaces); utime and stime are fields 14 and 15 of the whole line.
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

// SumCPU is ProcCPU summed over pids.
func SumCPU(pids []int) time.Duration {
	var t time.Duration
	for _, p := range pids {
		t += ProcCPU(p)
	}
	return t
}

// SelfCPU is the user+system time of this process so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PidsByName finds running processes by command name.
func PidsByName(names ...string) map[string][]int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil {
			continue
		}
		n := strings.TrimSpace(string(comm))
		if !want[n] {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			out[n] = append(out[n], pid)
		}
	}
	return out
}

// PeakRSS is the most resident memory pid has used so far (VmHWM), in
// bytes; 0 when it is gone.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok { // "   81234 kB"
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
