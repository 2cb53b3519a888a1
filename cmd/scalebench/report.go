package main

import (
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one row of the table.
type result struct {
	what   string
	figure string
	target string
	met    *bool // nil: not measured
	how    string
}

func (r *result) setMet(ok bool) { r.met = &ok }

type tableCount struct {
	table string
	rows  int64
}

type report struct {
	machine      string
	settings     []setting
	applied      []string // SET GLOBAL before measuring
	counts       []tableCount
	subject      string
	loadBefore   string
	loadAfter    string
	results      []result
	serverErrors []string
}

func (r *report) add(x result) {
	r.results = append(r.results, x)
	if x.met != nil {
		logf("  %s: %s", x.figure, verdict(x.met))
	}
}

func (r *report) allMet() bool {
	for _, x := range r.results {
		if x.met == nil || !*x.met {
			return false
		}
	}
	return len(r.results) > 0
}

func verdict(met *bool) string {
	switch {
	case met == nil:
		return "not measured"
	case *met:
		return "met"
	}
	return "NOT met"
}

// format is the whole report: the facts, then one table with a row per
// line of the issue's table, then how each figure was taken.
func (r *report) format() string {
	var b strings.Builder
	b.WriteString("\n== scalebench: province scale (issue 19)\n")
	fmt.Fprintf(&b, "machine:  %s\n", r.machine)
	var set []string
	for _, s := range r.settings {
		set = append(set, s.name+"="+human(s.name, s.value))
	}
	fmt.Fprintf(&b, "mariadb:  %s\n", strings.Join(set, ", "))
	switch {
	case len(r.applied) == 0:
		fmt.Fprintf(&b, "set:      nothing: the dynamic settings were already as in %s\n", settingsFile)
	default:
		fmt.Fprintf(&b, "set:      SET GLOBAL %s (as in %s)\n", strings.Join(r.applied, ", "), settingsFile)
	}
	var counts []string
	for _, c := range r.counts {
		counts = append(counts, fmt.Sprintf("%s %s", c.table, thousands(c.rows)))
	}
	fmt.Fprintf(&b, "rows:     %s\n", strings.Join(counts, ", "))
	fmt.Fprintf(&b, "subject:  %s\n", r.subject)
	fmt.Fprintf(&b, "load avg: %s before, %s after (1, 5, 15 min; the machine is shared)\n", r.loadBefore, r.loadAfter)
	if busy(r.loadBefore) || busy(r.loadAfter) {
		fmt.Fprintf(&b, "WARNING:  the machine was busy with other work (load average above twice its %d CPUs): the figures below are pessimistic\n", runtime.NumCPU())
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\twhat\tfigure\ttarget\tmet")
	met := 0
	for i, x := range r.results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, x.what, x.figure, x.target, verdict(x.met))
		if x.met != nil && *x.met {
			met++
		}
	}
	tw.Flush()
	fmt.Fprintf(&b, "\n%d of %d rows met.\n\nHow:\n", met, len(r.results))
	for i, x := range r.results {
		if x.how != "" {
			fmt.Fprintf(&b, "%2d. %s\n", i+1, x.how)
		}
	}
	if len(r.serverErrors) > 0 {
		b.WriteString("\nServer ERROR log lines:\n")
		for _, l := range r.serverErrors {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// busy: a 1-minute load average above twice the CPUs.
func busy(loadavg string) bool {
	var one float64
	if _, err := fmt.Sscan(loadavg, &one); err != nil {
		return false
	}
	return one > 2*float64(runtime.NumCPU())
}

// fmtDur rounds a duration for the table: 3 significant figures.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// human shows byte sizes of size settings as MiB / GiB.
func human(name, v string) string {
	if !strings.HasSuffix(name, "_size") {
		return v
	}
	var n int64
	if _, err := fmt.Sscan(v, &n); err != nil || n < 1<<20 {
		return v
	}
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%dG", n>>30)
	}
	return fmt.Sprintf("%dM", n>>20)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
