package main

import (
	"bufio"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tally counts the template sends the fake accepted, per client_msg_id
// (the outbox row id), to find duplicates and the delivery window.
type tally struct {
	mu      sync.Mutex
	counts  map[string]int
	sends   int
	first   time.Time // first send
	lastNew time.Time // last send of an id not seen before
}

func newTally() *tally { return &tally{counts: map[string]int{}} }

func (t *tally) add(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sends == 0 {
		t.first = at
	}
	t.sends++
	t.counts[id]++
	if t.counts[id] == 1 {
		t.lastNew = at
	}
}

// tallySnap is a consistent view of a tally.
type tallySnap struct {
	Sends    int // accepted sends, duplicates included
	Distinct int // distinct client_msg_ids
	DupIDs   int // ids sent more than once
	Extra    int // sends beyond the first of an id
	Empty    int // sends without a client_msg_id
	First    time.Time
	LastNew  time.Time
}

func (t *tally) snap() tallySnap {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := tallySnap{Sends: t.sends, Distinct: len(t.counts), First: t.first, LastNew: t.lastNew}
	for id, n := range t.counts {
		if id == "" {
			s.Empty += n
		}
		if n > 1 {
			s.DupIDs++
			s.Extra += n - 1
		}
	}
	return s
}

// ids returns a copy of the per-id counts.
func (t *tally) ids() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return out
}

// compareIDs matches the client_msg_ids the fake saw against the outbox
// row ids: missing rows were never sent, foreign ids are not rows at all.
func compareIDs(seen map[string]int, rows []uint64) (missing, foreign int) {
	want := make(map[string]bool, len(rows))
	for _, id := range rows {
		want[strconv.FormatUint(id, 10)] = true
	}
	for id := range want {
		if seen[id] == 0 {
			missing++
		}
	}
	for id := range seen {
		if !want[id] {
			foreign++
		}
	}
	return missing, foreign
}

// metricSum adds up every sample of the metric called name (all label
// sets) in a Prometheus text exposition. ok is false when there is none.
func metricSum(exposition, name string) (sum float64, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		rest, found := strings.CutPrefix(line, name)
		if !found || rest == "" || (rest[0] != '{' && rest[0] != ' ' && rest[0] != '\t') {
			continue // another metric, e.g. name_bucket
		}
		if rest[0] == '{' {
			end := closingBrace(rest)
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum += v
		ok = true
	}
	return sum, ok
}

// closingBrace finds the } ending a label set that starts at s[0], skipping
// quoted label values (which may hold braces and escaped quotes).
func closingBrace(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return i
		}
	}
	return -1
}

// counters is a snapshot of named counters (MariaDB status variables,
// Redis command calls).
type counters map[string]float64

// delta is after minus before, for the names present in after.
func (after counters) delta(before counters) counters {
	out := counters{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}

// parseCommandStats reads the calls of each command from Redis's
// INFO commandstats ("cmdstat_get:calls=12,usec=…").
func parseCommandStats(info string) counters {
	out := counters{}
	for _, l := range strings.Split(info, "\n") {
		l = strings.TrimSpace(l)
		name, rest, ok := strings.Cut(l, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					out[strings.TrimPrefix(name, "cmdstat_")] = n
				}
			}
		}
	}
	return out
}

// result is one scenario: k instances delivering n queued alerts.
type result struct {
	instances, workers, batch int
	round                     int
	n                         int
	timedOut                  bool

	startup time.Duration // process start to first send
	elapsed time.Duration // first send to all rows sent (DB) and all ids seen (fake)
	total   time.Duration // process start to the same end

	tally    tallySnap
	missing  int // rows the fake never saw
	foreign  int // ids the fake saw that are no rows
	statuses map[string]int
	// retried counts sent rows with attempts > 1.
	retried int
	// msgIDs counts distinct msg_id among sent rows (each send got one).
	msgIDs int

	perInstance []float64 // youthvoice_alerts_sent_total of each instance, -1 if stopped
	stopped     int       // the instance stopped half-way (-stop-one), from 1; 0 none
	failedSends float64   // youthvoice_alerts_failed_total, all instances
	logIssues   []string  // WARN and ERROR lines of the instances, summarised

	newConns int // TCP connections the fake accepted

	cpu map[string]time.Duration // per component
	// other is the share of the machine's CPUs that unrelated processes
	// used during the scenario.
	other float64
	// commitP50 and commitP90 are the probed latency of one durable
	// commit before the scenario.
	commitP50, commitP90 time.Duration
	db                   counters // MariaDB status deltas
	redis                counters // Redis command deltas
	ownSQL               int      // statements alertbench itself ran meanwhile
	latency              time.Duration
}

// rate is alerts per second over the delivery window.
func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.tally.Distinct) / r.elapsed.Seconds()
}

// rateWithStartup counts from the processes' start.
func (r result) rateWithStartup() float64 {
	if r.total <= 0 {
		return 0
	}
	return float64(r.tally.Distinct) / r.total.Seconds()
}

// percentile returns the p-th percentile (nearest rank) of ds; ds is sorted.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := (p*len(ds) + 99) / 100 // ceil(p/100 * n), 1-based
	i = min(max(i, 1), len(ds))
	return ds[i-1]
}

// otherShare is the part of the machine's CPU time over wall time not
// used by the components: (busy - ours) / (wall * cpus), never negative.
func otherShare(busy, ours, wall time.Duration, cpus int) float64 {
	if wall <= 0 || cpus <= 0 {
		return 0
	}
	v := float64(busy-ours) / (float64(wall) * float64(cpus))
	if v < 0 {
		return 0
	}
	return v
}

func (r result) notSent() int { return r.n - r.statuses["sent"] }

// problems lists the correctness failures of r: anything but exactly one
// send per row and every row stored as sent.
func (r result) problems() []string {
	var p []string
	if r.timedOut {
		p = append(p, "timed out before every alert was delivered")
	}
	if r.tally.DupIDs > 0 {
		p = append(p, fmt.Sprintf("%d alerts were sent more than once (%d extra sends)", r.tally.DupIDs, r.tally.Extra))
	}
	if r.missing > 0 {
		p = append(p, fmt.Sprintf("%d of %d alerts never reached the fake API", r.missing, r.n))
	}
	if r.foreign > 0 {
		p = append(p, fmt.Sprintf("the fake API got %d client_msg_ids that are no outbox rows", r.foreign))
	}
	if ns := r.notSent(); ns > 0 {
		p = append(p, fmt.Sprintf("%d of %d rows are not status 'sent' (%s)", ns, r.n, statusSummary(r.statuses)))
	}
	if r.retried > 0 {
		p = append(p, fmt.Sprintf("%d sent rows needed more than one attempt", r.retried))
	}
	if r.msgIDs != r.statuses["sent"] {
		p = append(p, fmt.Sprintf("%d sent rows but %d distinct msg_ids stored", r.statuses["sent"], r.msgIDs))
	}
	var sum float64
	for _, v := range r.perInstance {
		sum += v
	}
	if r.stopped == 0 && len(r.perInstance) > 0 && int(sum) != r.tally.Sends {
		p = append(p, fmt.Sprintf("the instances count %.0f sends in youthvoice_alerts_sent_total, the fake API accepted %d", sum, r.tally.Sends))
	}
	return p
}

// shares renders each instance's part of the sends, e.g. "5012 (50%) / 4988 (50%)";
// a stopped instance (-1) is "stopped".
func shares(v []float64) string {
	var sum float64
	for _, x := range v {
		sum += max(x, 0)
	}
	parts := make([]string, len(v))
	for i, x := range v {
		if x < 0 {
			parts[i] = "stopped"
			continue
		}
		pct := 0.0
		if sum > 0 {
			pct = 100 * x / sum
		}
		parts[i] = fmt.Sprintf("%.0f (%.0f%%)", x, pct)
	}
	return strings.Join(parts, " / ")
}

func statusSummary(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "no rows"
	}
	return strings.Join(parts, " ")
}
