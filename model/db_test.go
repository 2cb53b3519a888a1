package model_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// A nested WithTx whose fn fails rolls the whole transaction back at
// once: an outer fn that swallows the failure and goes on cannot commit
// the writes before it, the nested ones or its own after it, and the
// outer WithTx reports the failure.
func TestWithTxNestedFailureRollsBackEverything(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		add := func(ctx context.Context, openid string) error {
			return db.Conn(ctx).Create(&model.Follower{OpenID: openid, CreatedAt: now, UpdatedAt: now}).Error
		}
		boom := errors.New("nested step failed")
		ranAfter := false
		err := db.WithTx(ctx, func(ctx context.Context) error {
			if err := add(ctx, "oOuterBefore"); err != nil {
				return err
			}
			nested := db.WithTx(ctx, func(ctx context.Context) error {
				if err := add(ctx, "oInner"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(nested, boom) {
				t.Errorf("nested WithTx returned %v, want its fn's error", nested)
			}
			// The outer fn swallows the failure and carries on.
			_ = add(ctx, "oOuterAfter")
			_ = db.WithTx(ctx, func(ctx context.Context) error {
				ranAfter = true
				return add(ctx, "oNestedAfter")
			})
			return nil
		})
		if !errors.Is(err, model.ErrTxRolledBack) || !errors.Is(err, boom) {
			t.Fatalf("outer WithTx returned %v, want ErrTxRolledBack wrapping the nested error", err)
		}
		if ranAfter {
			t.Error("a nested WithTx ran its fn in the rolled-back transaction")
		}
		var openids []string
		if err := db.Conn(ctx).Model(&model.Follower{}).Order("openid").Pluck("openid", &openids).Error; err != nil {
			t.Fatal(err)
		}
		if len(openids) != 0 {
			t.Fatalf("stored after the rolled-back transaction: %v, want nothing", openids)
		}
		// The database is usable afterwards, and a clean transaction commits.
		if err := db.WithTx(ctx, func(ctx context.Context) error { return add(ctx, "oLater") }); err != nil {
			t.Fatalf("a later transaction: %v", err)
		}
		if err := db.Conn(ctx).Model(&model.Follower{}).Pluck("openid", &openids).Error; err != nil || len(openids) != 1 {
			t.Fatalf("after a later transaction: %v, %v; want [oLater]", openids, err)
		}
	})
}

// A nested failure the outer fn returns comes back unchanged, so callers
// still tell rule violations apart with errors.Is.
func TestWithTxNestedFailureReturnedAsIs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		boom := errors.New("rule violated")
		err := db.WithTx(context.Background(), func(ctx context.Context) error {
			return db.WithTx(ctx, func(context.Context) error { return boom })
		})
		if err != boom { //nolint:errorlint // the very error, not one wrapping it
			t.Fatalf("WithTx returned %v, want the nested error itself", err)
		}
	})
}
