package main

import (
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
