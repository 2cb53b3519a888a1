package stats_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/service/stats"
)

var update = flag.Bool("update", false, "rewrite the README's metric definitions from stats.Metrics")

// The README's 考核统计 lists the definitions the page shows; they are
// written once (stats.Metrics) and this keeps the README's copy in step.
func TestReadmeMetrics(t *testing.T) {
	const path = "../../README.md"
	const begin, end = "<!-- metrics:begin -->\n", "<!-- metrics:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q block", begin, end)
	}
	want := stats.MetricsMarkdown()
	if got := readme[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README.md's metric definitions differ from stats.Metrics; run go test ./service/stats -run TestReadmeMetrics -update\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// Every metric is named, defined, and formats the empty row without a
// panic; sort keys are unique and offered.
func TestMetricsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range stats.Metrics {
		if m.Name == "" || m.Help == "" || m.Group == "" || m.Value(stats.Row{}) == "" {
			t.Errorf("metric %+v incomplete", m)
		}
		if seen[m.Name] {
			t.Errorf("metric %s twice", m.Name)
		}
		seen[m.Name] = true
	}
	keys := map[string]bool{}
	for _, o := range stats.SortOptions {
		if keys[o.Key] {
			t.Errorf("sort %s twice", o.Key)
		}
		keys[o.Key] = true
	}
	if len(keys) != 12 {
		t.Errorf("%d sort options, want 12", len(keys))
	}
}
