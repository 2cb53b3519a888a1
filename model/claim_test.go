package model_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// The claim tests use followers as the table: "unsubscribed_at" is the
// claim column and "subscribed = ?" the condition.

func seedFollowers(t *testing.T, db *model.DB, n int, subscribed func(i int) bool) {
	t.Helper()
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	for i := range n {
		f := model.Follower{OpenID: fmt.Sprintf("o%03d", i), Subscribed: subscribed(i), CreatedAt: now, UpdatedAt: now}
		if err := db.Conn(context.Background()).Create(&f).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func followerClaim(limit int) model.Claim {
	return model.Claim{Column: "unsubscribed_at", Where: "subscribed = ?", Args: []any{false}, Order: "id", Limit: limit}
}

func followerID(f model.Follower) uint64 { return f.ID }

func claimNow() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

func TestClaimEach(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		t.Run("claims matching rows once, in order, up to the limit", func(t *testing.T) {
			seedFollowers(t, db, 7, func(i int) bool { return i%2 == 1 }) // o000 o002 o004 o006 match
			var seen []string
			fn := func(ctx context.Context, f model.Follower) error {
				seen = append(seen, f.OpenID)
				// Written in the claiming transaction.
				return db.Conn(ctx).Model(&model.Follower{}).Where("id = ?", f.ID).Update("scene_key", "alerted").Error
			}
			n, err := model.ClaimEach(ctx, db, followerClaim(3), claimNow, followerID, fn)
			if err != nil || n != 3 {
				t.Fatalf("first call: n=%d err=%v, want 3 claimed", n, err)
			}
			n, err = model.ClaimEach(ctx, db, followerClaim(3), claimNow, followerID, fn)
			if err != nil || n != 1 {
				t.Fatalf("second call: n=%d err=%v, want the 1 left", n, err)
			}
			n, err = model.ClaimEach(ctx, db, followerClaim(3), claimNow, followerID, fn)
			if err != nil || n != 0 {
				t.Fatalf("third call: n=%d err=%v, want nothing left", n, err)
			}
			if fmt.Sprint(seen) != "[o000 o002 o004 o006]" {
				t.Fatalf("fn ran for %v, want each unsubscribed follower once in id order", seen)
			}
			var fs []model.Follower
			if err := db.Conn(ctx).Order("id").Find(&fs).Error; err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				claimed := f.UnsubscribedAt != nil
				if claimed != !f.Subscribed || (f.SceneKey == "alerted") != claimed {
					t.Errorf("%s: subscribed=%v claimed=%v scene=%q", f.OpenID, f.Subscribed, claimed, f.SceneKey)
				}
				if claimed && !f.UnsubscribedAt.Equal(claimNow()) {
					t.Errorf("%s claimed at %v, want %v", f.OpenID, f.UnsubscribedAt, claimNow())
				}
			}
		})
	})
}

func TestClaimEachFailureRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		seedFollowers(t, db, 3, func(int) bool { return false })
		boom := errors.New("send failed")
		fn := func(ctx context.Context, f model.Follower) error {
			if err := db.Conn(ctx).Model(&model.Follower{}).Where("id = ?", f.ID).Update("scene_key", "alerted").Error; err != nil {
				return err
			}
			if f.OpenID == "o001" {
				return boom
			}
			return nil
		}
		n, err := model.ClaimEach(ctx, db, followerClaim(10), claimNow, followerID, fn)
		if !errors.Is(err, boom) || n != 2 {
			t.Fatalf("n=%d err=%v, want the two good rows claimed and the failure returned", n, err)
		}
		var fs []model.Follower
		if err := db.Conn(ctx).Order("id").Find(&fs).Error; err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			failed := f.OpenID == "o001"
			if (f.UnsubscribedAt == nil) != failed || (f.SceneKey == "") != failed {
				t.Errorf("%s: claimed=%v scene=%q; the failed row must keep neither claim nor fn's write, the others both",
					f.OpenID, f.UnsubscribedAt != nil, f.SceneKey)
			}
		}
		// The next run tries the failed row again, and only it.
		var seen []string
		n, err = model.ClaimEach(ctx, db, followerClaim(10), claimNow, followerID, func(_ context.Context, f model.Follower) error {
			seen = append(seen, f.OpenID)
			return nil
		})
		if err != nil || n != 1 || fmt.Sprint(seen) != "[o001]" {
			t.Fatalf("retry: n=%d err=%v seen=%v, want o001 alone", n, err, seen)
		}
	})
}

// Rows that keep failing stay first in the scan order; a call whose page
// they fill reads on past them, so the healthy rows behind are claimed.
func TestClaimEachReadsPastFailingRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		seedFollowers(t, db, 8, func(int) bool { return false })
		broken := map[string]bool{"o000": true, "o001": true, "o002": true, "o004": true}
		var tried []string
		fn := func(_ context.Context, f model.Follower) error {
			tried = append(tried, f.OpenID)
			if broken[f.OpenID] {
				return fmt.Errorf("%s cannot be alerted", f.OpenID)
			}
			return nil
		}
		n, err := model.ClaimEach(ctx, db, followerClaim(3), claimNow, followerID, fn)
		if err == nil || n != 4 {
			t.Fatalf("n=%d err=%v, want the 4 healthy rows claimed and the failures returned", n, err)
		}
		if want := "[o000 o001 o002 o003 o004 o005 o006 o007]"; fmt.Sprint(tried) != want {
			t.Fatalf("tried %v, want %s: each row once, in order", tried, want)
		}
		// Next time only the broken rows are left, each tried once.
		tried = nil
		if n, _ := model.ClaimEach(ctx, db, followerClaim(3), claimNow, followerID, fn); n != 0 || fmt.Sprint(tried) != "[o000 o001 o002 o004]" {
			t.Fatalf("second call: n=%d tried %v", n, tried)
		}
	})
}

// Several sweepers over the same rows (as several instances would) run
// fn once per row between them.
func TestClaimEachConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		const rows, sweepers = 20, 4
		seedFollowers(t, db, rows, func(int) bool { return false })
		var mu sync.Mutex
		runs := map[string]int{}
		total := 0
		var wg sync.WaitGroup
		errs := make(chan error, sweepers)
		for range sweepers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := model.ClaimEach(ctx, db, followerClaim(rows), claimNow, followerID, func(_ context.Context, f model.Follower) error {
					mu.Lock()
					runs[f.OpenID]++
					mu.Unlock()
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(runs) != rows || total != rows {
			t.Fatalf("%d rows alerted, %d claims counted; want %d each", len(runs), total, rows)
		}
		for id, k := range runs {
			if k != 1 {
				t.Errorf("%s alerted %d times", id, k)
			}
		}
	})
}
