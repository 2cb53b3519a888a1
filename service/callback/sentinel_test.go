package callback_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// Two instances reach Redis through a real Sentinel. The master dies
// (SIGKILL) and the Sentinel promotes the replica: once the failover is
// over, WeChat's retries of a push made before it are still recognised,
// every push delivered to both instances at once is processed exactly
// once, and the shared counters and values (sessions, throttles) keep
// their meaning across instances.
func TestDedupeSurvivesSentinelFailover(t *testing.T) {
	sen := kvtest.StartSentinel(t)
	ctx := context.Background()
	db := dbtest.SQLite(t)
	prefix := kvtest.NewPrefix()
	storeA, storeB := sen.Store(t, prefix), sen.Store(t, prefix)
	if storeA.Mode() != kv.RedisSentinel {
		t.Fatalf("store mode %q, want sentinel", storeA.Mode())
	}
	a := newSvc(t, db, storeA, nil, callback.Options{})
	b := newSvc(t, db, storeB, a.clock, callback.Options{})
	const user = "oSentinel_failover_0000001"

	before := svText(user, "帮助", 990001, a.clock.Now().Unix())
	first, err := a.svc.Handle(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if err := storeA.Set(ctx, "session:s1", "user=42", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := storeA.Incr(ctx, "throttle:login:1.2.3.4", time.Hour); err != nil {
		t.Fatal(err)
	}
	sen.SyncReplicas(ctx)

	took := sen.KillMaster()
	t.Logf("Sentinel failover took %s", took)
	// The failover is complete for an instance once its client has found
	// the new master: wait for both to write again.
	for name, s := range map[string]kv.Store{"A": storeA, "B": storeB} {
		deadline := time.Now().Add(30 * time.Second)
		for s.Set(ctx, "probe", name, time.Minute) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("instance %s cannot write 30 s after the failover", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// A retry of the push made before the failover gets its first reply
	// and is not processed again.
	again, err := b.svc.Handle(ctx, before)
	if err != nil || again != first {
		t.Fatalf("retry after the failover got %q %v, want the first reply %q", again.Text, err, first.Text)
	}

	// New pushes, each delivered to both instances at the same moment.
	const pushes = 20
	for i := range pushes {
		m := svText(user, "帮助", int64(990100+i), a.clock.Now().Unix()+int64(i)+1)
		var wg sync.WaitGroup
		replies := make([]callback.Reply, 2)
		errs := make([]error, 2)
		for j, inst := range []*svInstance{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[j], errs[j] = inst.svc.Handle(ctx, m)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("push %d: %v / %v", i, errs[0], errs[1])
		}
		if replies[0] != replies[1] {
			t.Fatalf("push %d: the instances answered %q and %q", i, replies[0].Text, replies[1].Text)
		}
	}
	a.rec.Close()
	b.rec.Close()
	if n := len(svInteractions(t, db, user)); n != 1+pushes {
		t.Fatalf("%d interactions recorded, want %d: a push was processed twice or lost", n, 1+pushes)
	}

	// Values written before the failover are there; counters go on.
	if v, err := storeB.Get(ctx, "session:s1"); err != nil || v != "user=42" {
		t.Fatalf("session after the failover: %q %v", v, err)
	}
	if n, err := storeB.Incr(ctx, "throttle:login:1.2.3.4", time.Hour); err != nil || n != 2 {
		t.Fatalf("throttle counter after the failover = %d %v, want 2", n, err)
	}
	if won, err := storeA.SetNX(ctx, "claim", "a", time.Minute); err != nil || !won {
		t.Fatalf("SetNX on A: %v %v", won, err)
	}
	if won, err := storeB.SetNX(ctx, "claim", "b", time.Minute); err != nil || won {
		t.Fatalf("SetNX on B after A claimed: %v %v, want false", won, err)
	}
}
