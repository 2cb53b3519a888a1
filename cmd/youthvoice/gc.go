package main

import (
	"runtime/debug"
)

// tuneGC sets the garbage collector's target for serve to percent
// (YV_GC_PERCENT) unless the operator set Go's own GOGC, which the
// runtime has applied already and which wins. It returns the target in
// force and where it came from, for the startup log.
func tuneGC(percent int, getenv func(string) string) (int, string) {
	if getenv("GOGC") != "" {
		return currentGCPercent(), "GOGC"
	}
	debug.SetGCPercent(percent)
	return percent, "YV_GC_PERCENT"
}

// currentGCPercent reads the runtime's target (-1 when GOGC=off): the
// runtime offers no getter, but SetGCPercent returns the old value.
func currentGCPercent() int {
	cur := debug.SetGCPercent(-1)
	debug.SetGCPercent(cur)
	return cur
}
