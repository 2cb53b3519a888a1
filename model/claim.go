package model

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Claim describes rows of one table that a timer acts on once each: those
// matching Where (with Args) whose Column is still NULL.
type Claim struct {
	Column string // set to the claim time; NULL means not yet claimed
	Where  string // extra condition, ANDed with "Column IS NULL"
	Args   []any
	Order  string // order of the scan, e.g. "due_at"
	Limit  int    // rows per call
}

// ClaimEach reads up to c.Limit matching rows and, for each, claims it by a
// conditional UPDATE of c.Column (id, c.Where and Column IS NULL) and runs
// fn in the claiming transaction: if fn fails, the claim rolls back with
// whatever fn wrote, so the row is tried again on the next call. A row
// another instance claimed first, or that no longer matches, is skipped.
// One failing row does not hold up the others: ClaimEach goes on with
// the rest and, when failing rows took places in a full page, reads
// another page past them, so rows that keep failing (they stay first in
// c.Order) cannot crowd out the healthy ones call after call. It returns
// how many rows it claimed and every row's error joined (it stops early
// only when ctx is done).
//
// With several instances running it, each row's fn commits exactly once.
func ClaimEach[T any](ctx context.Context, db *DB, c Claim, now func() time.Time, id func(T) uint64, fn func(context.Context, T) error) (int, error) {
	cond := c.Column + " IS NULL AND " + c.Where
	n := 0
	var errs []error
	var failed []uint64
	for {
		q := db.Conn(ctx).Where(cond, c.Args...)
		if len(failed) > 0 {
			q = q.Where("id NOT IN ?", failed)
		}
		var rows []T
		if err := q.Order(c.Order).Limit(c.Limit).Find(&rows).Error; err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		pageFailed := 0
		for _, row := range rows {
			claimed := false
			err := db.WithTx(ctx, func(ctx context.Context) error {
				var zero T
				res := db.Conn(ctx).Model(&zero).Where("id = ? AND "+cond, append([]any{id(row)}, c.Args...)...).
					Update(c.Column, now())
				if res.Error != nil || res.RowsAffected == 0 {
					return res.Error // claimed elsewhere, or no longer matching
				}
				if err := fn(ctx, row); err != nil {
					return err
				}
				claimed = true
				return nil
			})
			if err != nil {
				if ctx.Err() != nil {
					return n, errors.Join(append(errs, err)...)
				}
				errs = append(errs, fmt.Errorf("%s of row %d: %w", c.Column, id(row), err))
				failed = append(failed, id(row))
				pageFailed++
				continue
			}
			if claimed {
				n++
			}
		}
		// A full page with failures: the rows after it would wait behind
		// the same failures next time. Read on, up to a bound.
		if len(rows) < c.Limit || pageFailed == 0 || len(failed) >= maxSkippedFailures {
			return n, errors.Join(errs...)
		}
	}
}

// maxSkippedFailures bounds how many failing rows one ClaimEach call reads
// past (and its NOT IN list).
const maxSkippedFailures = 1000
