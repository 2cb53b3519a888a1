package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	cases := []struct {
		name      string
		gogc      string
		percent   int
		wantGC    int
		wantFrom  string
		runtimeAt int // the runtime's target before: what GOGC set at start
	}{
		{"YV_GC_PERCENT applies", "", 300, 300, "YV_GC_PERCENT", 100},
		{"GOGC wins", "150", 300, 150, "GOGC", 150},
		{"GOGC=off wins", "off", 300, -1, "GOGC", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.runtimeAt)
			gc, from := tuneGC(tc.percent, env{"GOGC": tc.gogc}.get)
			if gc != tc.wantGC || from != tc.wantFrom {
				t.Errorf("tuneGC = %d from %s, want %d from %s", gc, from, tc.wantGC, tc.wantFrom)
			}
			if got := currentGCPercent(); got != tc.wantGC {
				t.Errorf("runtime target = %d after tuneGC, want %d", got, tc.wantGC)
			}
		})
	}
}

func TestTuneMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	cases := []struct {
		name      string
		gomem     string
		mib       int
		runtimeAt int64 // what GOMEMLIMIT set at start
		want      int64
		wantFrom  string
	}{
		{"YV_MEMORY_LIMIT_MIB applies", "", 100, math.MaxInt64, 100 << 20, "YV_MEMORY_LIMIT_MIB"},
		{"0 is no limit", "", 0, 64 << 20, math.MaxInt64, "YV_MEMORY_LIMIT_MIB"},
		{"GOMEMLIMIT wins", "1GiB", 100, 1 << 30, 1 << 30, "GOMEMLIMIT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.runtimeAt)
			got, from := tuneMemoryLimit(tc.mib, env{"GOMEMLIMIT": tc.gomem}.get)
			if got != tc.want || from != tc.wantFrom {
				t.Errorf("tuneMemoryLimit = %d from %s, want %d from %s", got, from, tc.want, tc.wantFrom)
			}
			if now := debug.SetMemoryLimit(-1); now != tc.want {
				t.Errorf("runtime limit = %d after tuneMemoryLimit, want %d", now, tc.want)
			}
		})
	}
}
