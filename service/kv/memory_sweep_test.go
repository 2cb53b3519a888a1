package kv

import (
	"context"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/service/clock"
)

// TestMemorySweepDropsExpiredKeys: keys nobody reads again (a session
// left to expire, a dedupe key) leave memory at the next sweep; keys
// without expiry and those still live stay.
func TestMemorySweepDropsExpiredKeys(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC))
	m, err := NewMemory(clk)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	for _, k := range []string{"sess:a", "sess:b"} {
		if err := m.Set(ctx, k, "x", 7*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := m.SetNX(ctx, "dedupe:1", "x", 10*time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := m.Set(ctx, "live", "x", 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "forever", "x", 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(8 * 24 * time.Hour)
	m.sweepOnce()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) != 2 {
		t.Fatalf("after the sweep %d keys are held, want live and forever: %v", len(m.items), m.items)
	}
	for _, k := range []string{"live", "forever"} {
		if _, ok := m.items[k]; !ok {
			t.Errorf("%s was swept", k)
		}
	}
}
