package main

import (
	"math"
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

// tuneMemoryLimit sets the runtime's soft memory limit for serve to mib
// MiB (YV_MEMORY_LIMIT_MIB, 0 for none) unless the operator set Go's own
// GOMEMLIMIT, which wins. It returns the limit in force in bytes
// (math.MaxInt64 for none) and where it came from.
func tuneMemoryLimit(mib int, getenv func(string) string) (int64, string) {
	if getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	}
	limit := int64(math.MaxInt64)
	if mib > 0 {
		limit = int64(mib) << 20
	}
	debug.SetMemoryLimit(limit)
	return limit, "YV_MEMORY_LIMIT_MIB"
}
