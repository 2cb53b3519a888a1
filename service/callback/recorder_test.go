package callback_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func rcRow(openID string, i int) model.Interaction {
	at := svEpoch.Add(time.Duration(i) * time.Second)
	return model.Interaction{OpenID: openID, MsgType: "text", Content: fmt.Sprintf("消息 %d", i), MsgID: int64(i), SentAt: at, CreatedAt: at}
}

func rcCount(t testing.TB, db *model.DB, openID string) int {
	t.Helper()
	return len(svInteractions(t, db, openID))
}

// rcBreak makes inserts into interactions fail until the returned func
// mends it, as an unavailable database would.
func rcBreak(t *testing.T, db *model.DB) (mend func()) {
	t.Helper()
	ctx := context.Background()
	if err := db.Conn(ctx).Exec("ALTER TABLE interactions RENAME TO interactions_away").Error; err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	mend = func() {
		once.Do(func() {
			if err := db.Conn(ctx).Exec("ALTER TABLE interactions_away RENAME TO interactions").Error; err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(mend)
	return mend
}

func TestRecorder(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()

		t.Run("rows reach the database without Close", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
			defer rec.Close()
			const user = "oRec_background_00000000001"
			for i := range 3 {
				rec.Record(ctx, rcRow(user, i))
			}
			svEventually(t, "3 rows", func() bool { return rcCount(t, b.DB(), user) == 3 })
			// The counter moves right after the insert commits.
			svEventually(t, "written_total 3", func() bool {
				return servicetest.Metric(t, reg, "youthvoice_interactions_written_total", nil) == 3
			})
			rec.Close()
			if n := servicetest.Metric(t, reg, "youthvoice_interactions_written_total", nil); n != 3 {
				t.Fatalf("written_total = %v after Close, want 3", n)
			}
		})

		t.Run("a full batch is written before the tick", func(t *testing.T) {
			rec := newRecorder(t, b.DB(), svDiscard, prometheus.NewRegistry(), callback.RecorderOptions{FlushEvery: time.Hour, BatchSize: 4})
			defer rec.Close()
			const user = "oRec_batch_0000000000000001"
			for i := range 4 {
				rec.Record(ctx, rcRow(user, i))
			}
			svEventually(t, "the batch of 4", func() bool { return rcCount(t, b.DB(), user) == 4 })
		})

		t.Run("every field survives each way of inserting", func(t *testing.T) {
			// BatchSize 4: a full batch goes through the prepared statement,
			// a backlog of 5 rows in one transaction, 4 through it and 1 as
			// text. The statement cannot be
			// prepared while the table is away (text is tried instead), and
			// once prepared it outlives the table going away and back.
			rec := newRecorder(t, b.DB(), svDiscard, prometheus.NewRegistry(), callback.RecorderOptions{FlushEvery: time.Hour, BatchSize: 4})
			defer rec.Close()
			const user = "oRec_shapes_000000000000001"
			row := func(i int) model.Interaction {
				it := rcRow(user, i)
				it.MsgType, it.Event, it.EventKey = "event", "CLICK", fmt.Sprintf("KEY_%d'\"\\", i)
				it.Content = fmt.Sprintf("第%d条 '); DROP TABLE interactions; -- 😀", i)
				it.MsgID = 9_000_000_000_000_000_000 + int64(i)
				it.SentAt = svEpoch.Add(time.Duration(i)*time.Hour + 123*time.Millisecond)
				return it
			}
			mend := rcBreak(t, b.DB())
			for i := range 4 {
				rec.Record(ctx, row(i))
			}
			time.Sleep(50 * time.Millisecond) // let the flush at 4 rows fail
			mend()
			for i := 4; i < 9; i++ { // the backlog at 5 rows, a full batch at 9
				rec.Record(ctx, row(i))
			}
			svEventually(t, "9 rows", func() bool { return rcCount(t, b.DB(), user) == 9 })
			mend = rcBreak(t, b.DB())
			for i := 9; i < 14; i++ { // written at Close
				rec.Record(ctx, row(i))
			}
			time.Sleep(50 * time.Millisecond)
			mend()
			rec.Close()
			its := svInteractions(t, b.DB(), user)
			if len(its) != 14 {
				t.Fatalf("%d rows, want 14", len(its))
			}
			for i, got := range its {
				want := row(i)
				if got.MsgType != want.MsgType || got.Event != want.Event || got.EventKey != want.EventKey ||
					got.Content != want.Content || got.MsgID != want.MsgID ||
					!got.SentAt.Equal(want.SentAt) || !got.CreatedAt.Equal(want.CreatedAt) {
					t.Fatalf("row %d stored as %+v, want %+v", i, got, want)
				}
			}
		})

		t.Run("Close writes what is queued", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{FlushEvery: time.Hour, BatchSize: 1000})
			const user = "oRec_close_0000000000000001"
			for i := range 25 {
				rec.Record(ctx, rcRow(user, i))
			}
			if n := rcCount(t, b.DB(), user); n != 0 {
				t.Fatalf("%d rows before the first flush; the test needs them queued", n)
			}
			rec.Close()
			its := svInteractions(t, b.DB(), user)
			if len(its) != 25 || its[0].Content != "消息 0" || its[24].Content != "消息 24" || !its[3].SentAt.Equal(svEpoch.Add(3*time.Second)) {
				t.Fatalf("%d rows after Close, want all 25 as recorded", len(its))
			}
			rec.Close() // a second Close is harmless
		})

		t.Run("a row recorded after Close is still stored", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{})
			rec.Close()
			const user = "oRec_late_00000000000000001"
			rec.Record(ctx, rcRow(user, 1)) // a request that outlived the shutdown
			if n := rcCount(t, b.DB(), user); n != 1 {
				t.Fatalf("%d rows, want the late row stored", n)
			}
		})

		t.Run("concurrent callers lose nothing", func(t *testing.T) {
			rec := newRecorder(t, b.DB(), svDiscard, prometheus.NewRegistry(), callback.RecorderOptions{FlushEvery: 5 * time.Millisecond, BatchSize: 7, Buffer: 4})
			const user = "oRec_concurrent_00000000001"
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 25 {
						rec.Record(ctx, rcRow(user, g*100+i))
					}
				}()
			}
			wg.Wait()
			rec.Close()
			if n := rcCount(t, b.DB(), user); n != 200 {
				t.Fatalf("%d rows, want 200", n)
			}
		})

		t.Run("a failed flush is retried", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
			defer rec.Close()
			const user = "oRec_retry_0000000000000001"
			mend := rcBreak(t, b.DB())
			for i := range 3 {
				rec.Record(ctx, rcRow(user, i))
			}
			svEventually(t, "a failed flush", func() bool {
				return servicetest.Metric(t, reg, "youthvoice_interactions_flush_failures_total", nil) >= 2
			})
			mend()
			svEventually(t, "the rows after the database is back", func() bool { return rcCount(t, b.DB(), user) == 3 })
			if n := servicetest.Metric(t, reg, "youthvoice_interactions_dropped_total", nil); n != 0 {
				t.Fatalf("dropped_total = %v", n)
			}
		})

		t.Run("a backlog over MaxPending drops the oldest", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond, MaxPending: 2})
			defer rec.Close()
			const user = "oRec_backlog_00000000000001"
			mend := rcBreak(t, b.DB())
			for i := range 5 {
				rec.Record(ctx, rcRow(user, i))
			}
			svEventually(t, "3 rows dropped", func() bool {
				return servicetest.Metric(t, reg, "youthvoice_interactions_dropped_total", nil) == 3
			})
			mend()
			svEventually(t, "the 2 newest rows", func() bool { return rcCount(t, b.DB(), user) == 2 })
			its := svInteractions(t, b.DB(), user)
			if its[0].MsgID != 3 || its[1].MsgID != 4 {
				t.Fatalf("kept rows %d and %d, want the newest (3 and 4)", its[0].MsgID, its[1].MsgID)
			}
		})

		t.Run("one refused row does not block the others", func(t *testing.T) {
			reg := prometheus.NewRegistry()
			rec := newRecorder(t, b.DB(), svDiscard, reg, callback.RecorderOptions{FlushEvery: time.Hour})
			const user = "oRec_badrow_000000000000001"
			for i := range 4 {
				rec.Record(ctx, rcRow(user, i))
			}
			bad := rcRow(strings.Repeat("x", 100), 99) // longer than the column
			rec.Record(ctx, bad)
			rec.Close()
			if n := rcCount(t, b.DB(), user); n != 4 {
				t.Fatalf("%d good rows stored, want 4", n)
			}
			if b.DB().Dialect() == model.MySQL {
				if d := servicetest.Metric(t, reg, "youthvoice_interactions_dropped_total", nil); d != 1 {
					t.Fatalf("dropped_total = %v, want 1 (the oversized row)", d)
				}
			}
		})
	})
}
