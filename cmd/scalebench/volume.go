package main

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gdyouth/youthvoice/service/clock"
)

// volume is how much the loader makes. fullVolume is the issue's
// province: 166 universities, 500,000 students, 1,000,000 questions,
// 1,600,000 answers, 200,000 bookings and 5,000,000 WeChat interactions a
// year, spread over 13 months.
type volume struct {
	Students         int
	Questions        int
	Answers          int
	Bookings         int
	Interactions     int
	UnboundFollowers int // follow the account without an account of their own
	CadresPerUni     int
	StationTeam      int // members per station (one lead)
	NoStation        int // universities without a station yet
	Months           int
}

func fullVolume() volume {
	return volume{
		Students: 500_000, Questions: 1_000_000, Answers: 1_600_000, Bookings: 200_000,
		Interactions: 5_000_000 * 13 / 12, UnboundFollowers: 60_000,
		CadresPerUni: 30, StationTeam: 3, NoStation: 6, Months: 13,
	}
}

// scaled is v with the per-row volumes times f (staff per university kept).
func (v volume) scaled(f float64) volume {
	s := func(n int) int { return max(1, int(math.Round(float64(n)*f))) }
	v.Students, v.Questions, v.Answers = s(v.Students), s(v.Questions), s(v.Answers)
	v.Bookings, v.Interactions, v.UnboundFollowers = s(v.Bookings), s(v.Interactions), s(v.UnboundFollowers)
	return v
}

// Shares of the question shapes (the rest are published).
const (
	shareOwnBoard   = 0.85  // asked on the asker's university board, the rest on provincial boards
	shareAnonymous  = 0.10  // anonymous questions
	shareReview     = 0.003 // held for review (only in the last 14 days)
	shareRejected   = 0.004 // rejected in review
	shareHidden     = 0.012 // published, then hidden by an admin
	shareAnswered   = 0.87  // of the published: got a cadre answer (85% of all)
	shareOnTime     = 0.80  // of the answered: first answer within 24 hours
	shareRated      = 0.45  // of the answered: rated by the asker (resolved)
	shareBound      = 0.80  // students bound to a WeChat and activated
	shareAdminFirst = 0.06  // first answers by the university admin rather than a cadre
)

// universityWeights skews university sizes: the i-th largest gets weight
// 1/(i+8), so the largest holds about 4% of the students and questions
// (its board has about 34,000 questions at full volume) and the smallest
// about 0.2%. order is a seeded permutation: which university is the
// largest does not follow the seed file's order.
func universityWeights(n int, rng *rand.Rand) []float64 {
	order := rng.Perm(n)
	w := make([]float64, n)
	sum := 0.0
	for rank, i := range order {
		w[i] = 1 / float64(rank+8)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// cumulative turns weights into a cumulative table for pickIndex.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	return c
}

// pickIndex draws an index with the probabilities of cum.
func pickIndex(rng *rand.Rand, cum []float64) int {
	f := rng.Float64() * cum[len(cum)-1]
	i := sort.SearchFloat64s(cum, f)
	return min(i, len(cum)-1)
}

// timeline draws event times over the months before now: more recent days
// busier (the service grows), weekends and the winter and summer holidays
// quieter, evenings busiest (Beijing time).
type timeline struct {
	start time.Time // midnight Beijing time, Months months before now
	now   time.Time
	days  int
	dayC  []float64
	hourC []float64
}

// hourly activity in Beijing time, 0h … 23h.
var hourly = []float64{3, 1.5, 0.8, 0.4, 0.3, 0.4, 1, 3, 6, 8, 9, 9, 7, 6, 8, 9, 9, 8, 7, 9, 11, 12, 10, 6}

func newTimeline(now time.Time, months int) *timeline {
	b := now.In(clock.Beijing)
	first := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing).AddDate(0, -months, 0)
	days := int(now.Sub(first).Hours()/24) + 1
	w := make([]float64, days)
	for d := range w {
		day := first.AddDate(0, 0, d)
		x := 0.5 + float64(d)/float64(days)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			x *= 0.7
		}
		switch m := day.Month(); {
		case m == time.July && day.Day() > 10, m == time.August:
			x *= 0.45
		case m == time.January && day.Day() > 15, m == time.February && day.Day() < 20:
			x *= 0.5
		}
		w[d] = x
	}
	return &timeline{start: first, now: now, days: days, dayC: cumulative(w), hourC: cumulative(hourly)}
}

// at draws one time before now.
func (tl *timeline) at(rng *rand.Rand) time.Time {
	for {
		d := pickIndex(rng, tl.dayC)
		h := pickIndex(rng, tl.hourC)
		t := tl.start.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		if t.Before(tl.now) {
			return t.UTC()
		}
	}
}

// sorted draws n times, oldest first, as Unix seconds.
func (tl *timeline) sorted(rng *rand.Rand, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = tl.at(rng).Unix()
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// between is a uniformly random time in [a, b).
func between(rng *rand.Rand, a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a)))))
}

// jitter is what a 30-second sweep adds to the moment a timer falls due.
func jitter(rng *rand.Rand) time.Duration { return time.Duration(1+rng.IntN(30)) * time.Second }
