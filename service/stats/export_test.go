package stats

import (
	"context"
	"time"
)

// Plain and Rolled expose the two ways of computing a report's rows, for
// the tests that hold one against the other.
func (s *Service) Plain(ctx context.Context, scope uint64, p Period, now time.Time) ([]Row, error) {
	return s.collectPlain(ctx, scope, p, now)
}

func (s *Service) Rolled(ctx context.Context, scope uint64, p Period, now time.Time) ([]Row, error) {
	return s.collectRolled(ctx, scope, p, now)
}

func DayNum(t time.Time) int { return dayNum(t) }

// reportError for the external tests.
var ReportErrorForTest = reportError

// HoldLease takes the builder's lease as this instance's builder would.
func (s *Service) HoldLease(ctx context.Context) (func(), error) { return s.acquire(ctx) }
