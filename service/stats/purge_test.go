package stats_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// TestPurgedInteractionsKeepReportsExact: once the raw interactions of
// old days are deleted (service/retention), every period's figures stay
// what they were, from the roll-ups and from the plain queries (the path
// during a rebuild), after a rebuild, and after a binding that changes
// later re-attributes an openid's purged pushes.
func TestPurgedInteractionsKeepReportsExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newWorld(t, db, 3)
		if cut, err := w.svc.AllowInteractionPurge(w.ctx, w.clk.Now()); err != nil || !cut.IsZero() {
			t.Fatalf("before the roll-ups are built: purge before %v (%v), want nothing", cut, err)
		}
		w.refresh(t)
		w.clk.Advance(time.Minute)
		w.refresh(t)
		// While this instance's builder holds the lease, the purge waits
		// (and does not end the builder's lease).
		release, err := w.svc.HoldLease(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AllowInteractionPurge(w.ctx, w.clk.Now()); !errors.Is(err, stats.ErrBusy) {
			t.Fatalf("purge during the builder's pass: %v, want ErrBusy", err)
		}
		if _, err := w.svc.HoldLease(w.ctx); err != nil {
			t.Fatalf("the builder lost its lease to the purge: %v", err)
		}
		release()

		periods := w.periods(t)
		scopes := []uint64{0}
		for _, u := range w.unis {
			scopes = append(scopes, u.ID)
		}
		report := func(plain bool) [][]stats.Row {
			now := w.clk.Now().UTC().Truncate(time.Second)
			var out [][]stats.Row
			for _, p := range periods {
				for _, scope := range scopes {
					var rows []stats.Row
					var err error
					if plain {
						rows, err = w.svc.Plain(w.ctx, scope, p, now)
					} else {
						rows, err = w.svc.Rolled(w.ctx, scope, p, now)
					}
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, rows)
				}
			}
			return out
		}
		want := report(false)
		if !reflect.DeepEqual(report(true), want) {
			t.Fatal("plain and rolled differ before the purge")
		}

		// Purge everything older than 200 days.
		var cut time.Time
		asked := w.clk.Now().AddDate(0, 0, -200)
		cut, err = w.svc.AllowInteractionPurge(w.ctx, asked)
		if err != nil {
			t.Fatal(err)
		}
		b := asked.In(clock.Beijing)
		if wantCut := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing); !cut.Equal(wantCut) {
			t.Fatalf("purge before %v, want the Beijing midnight %v", cut, wantCut)
		}
		res := db.Conn(w.ctx).Where("created_at < ?", cut).Delete(&model.Interaction{})
		if res.Error != nil || res.RowsAffected < 50 {
			t.Fatalf("deleted %d interactions (%v); the fixture should have more than 50 that old", res.RowsAffected, res.Error)
		}
		if !reflect.DeepEqual(report(false), want) {
			t.Fatal("the roll-ups' figures changed with the purge")
		}
		if !reflect.DeepEqual(report(true), want) {
			t.Fatal("the plain figures (used during a rebuild) changed with the purge")
		}

		// A rebuild keeps the purged days' pushes.
		if _, err := w.svc.Rebuild(w.ctx); err != nil {
			t.Fatal(err)
		}
		if got := report(false); !reflect.DeepEqual(got, want) {
			t.Fatal("the figures changed with a rebuild after the purge")
		}

		// The watermark never goes back, nor past what the roll-ups
		// counted.
		if again, err := w.svc.AllowInteractionPurge(w.ctx, asked.AddDate(0, 0, -30)); err != nil || !again.Equal(cut) {
			t.Fatalf("an earlier purge after %v: %v (%v), want %v", cut, again, err, cut)
		}
		if ahead, err := w.svc.AllowInteractionPurge(w.ctx, w.clk.Now().Add(24*time.Hour)); err != nil || ahead.After(w.clk.Now().Add(-10*time.Minute)) {
			t.Fatalf("a purge ahead of the roll-ups: before %v (%v)", ahead, err)
		}

		// Accounts bound and unbound after the purge re-attribute the
		// purged pushes as they would the others.
		w.clk.Advance(time.Hour)
		for i := range w.users[:10] {
			u := &w.users[i]
			if u.OpenID != nil {
				w.change(t, u, map[string]any{"openid": nil})
			} else {
				w.change(t, u, map[string]any{"openid": w.loose[i%len(w.loose)]})
			}
		}
		w.clk.Advance(3 * time.Minute)
		w.refresh(t)
		w.same(t, "bindings changed after the purge")
	})
}
