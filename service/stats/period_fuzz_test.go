package stats_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/stats"
)

// FuzzParsePeriod feeds arbitrary from/to query values to the statistics
// pages' period parser: it never panics, refuses with ErrInvalid, and an
// accepted period is whole Beijing days, in order, at most MaxDays long.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"2026-03-01", "2026-03-31"}, {"2026-03-31", "2026-03-01"}, {"2025-01-01", "2026-12-31"},
		{"1999-12-31", ""}, {" 2026-02-29 ", ""}, {"2024-02-29", "2024-02-29"}, {"2026-13-01", "x"},
	} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to string) {
		p, err := stats.ParsePeriod(from, to, now)
		if err != nil {
			if !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("ParsePeriod(%q, %q) = %v, not ErrInvalid", from, to, err)
			}
			return
		}
		if p.Days < 1 || p.Days > stats.MaxDays {
			t.Fatalf("ParsePeriod(%q, %q) has %d days", from, to, p.Days)
		}
		// Beijing keeps no daylight saving time: a day is 24 hours.
		if p.End.Sub(p.Start) != time.Duration(p.Days)*24*time.Hour {
			t.Fatalf("ParsePeriod(%q, %q) = %s..%s for %d days", from, to, p.Start, p.End, p.Days)
		}
		if _, err := time.Parse(stats.DateLayout, p.From); err != nil {
			t.Fatalf("From %q: %v", p.From, err)
		}
		if _, err := time.Parse(stats.DateLayout, p.To); err != nil {
			t.Fatalf("To %q: %v", p.To, err)
		}
	})
}
