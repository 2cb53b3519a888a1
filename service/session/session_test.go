package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/session"
)

var ctx = context.Background()

func start() time.Time { return time.Date(2025, 4, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)) }

// recorder remembers every key written to the store.
type recorder struct {
	kv.Store
	mu   sync.Mutex
	keys []string
}

func (r *recorder) Set(ctx context.Context, key, val string, ttl time.Duration) error {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	return r.Store.Set(ctx, key, val, ttl)
}

func newStore(t *testing.T, s kv.Store, clk clock.Clock) *session.Store {
	t.Helper()
	st, err := session.New(s, clk, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCreateGetDelete(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		rec := &recorder{Store: s}
		clk := clock.NewFake(start())
		st := newStore(t, rec, clk)
		if st.Idle() != session.DefaultIdle {
			t.Fatalf("idle %v", st.Idle())
		}

		id, err := st.Create(ctx, session.Session{UserID: 42, OpenID: "oid-1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != 42 || got.OpenID != "oid-1" || !got.CreatedAt.Equal(start()) || !got.SeenAt.Equal(start()) {
			t.Fatalf("got %+v", got)
		}

		// The store never sees the raw id.
		rec.mu.Lock()
		keys := append([]string(nil), rec.keys...)
		rec.mu.Unlock()
		if len(keys) == 0 {
			t.Fatal("nothing written")
		}
		for _, k := range keys {
			if strings.Contains(k, id) {
				t.Fatalf("kv key %q contains the session id", k)
			}
		}
		if _, err := s.Get(ctx, id); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("raw id is a kv key: %v", err)
		}

		for _, bad := range []string{"", "nope", id + "x", strings.ToUpper(id)} {
			if _, err := st.Get(ctx, bad); !errors.Is(err, service.ErrUnauthorized) {
				t.Errorf("Get(%q): %v, want ErrUnauthorized", bad, err)
			}
		}

		if err := st.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
			t.Fatalf("after Delete: %v", err)
		}
		if err := st.Delete(ctx, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// logoutDuringGet deletes the key Get has just read, as a logout in
// another request landing between the read and the refresh would.
type logoutDuringGet struct {
	kv.Store
	armed bool
}

func (l *logoutDuringGet) Get(ctx context.Context, key string) (string, error) {
	v, err := l.Store.Get(ctx, key)
	if l.armed && err == nil {
		l.armed = false
		if derr := l.Del(ctx, key); derr != nil {
			return "", derr
		}
	}
	return v, err
}

// The idle-expiry refresh must not undo a logout that lands between its
// read and its write.
func TestLogoutDuringRefreshStaysLoggedOut(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		store := &logoutDuringGet{Store: s}
		clk := clock.NewFake(start())
		st := newStore(t, store, clk)
		id, err := st.Create(ctx, session.Session{UserID: 42})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Minute) // old enough to be refreshed
		store.armed = true
		if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
			t.Fatalf("Get racing a logout = %v, want ErrUnauthorized", err)
		}
		if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
			t.Fatalf("session came back after logout: %v", err)
		}
	})
}

func TestIDsAreLongAndRandom(t *testing.T) {
	st := newStore(t, kvtest.Memory(t, nil), clock.Real{})
	seen := map[string]bool{}
	for range 200 {
		id, err := st.Create(ctx, session.Session{UserID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(id) < 43 { // 32 bytes, base64
			t.Fatalf("id %q is short", id)
		}
		if strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("id %q is not URL-safe", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestIdleExpirySlides(t *testing.T) {
	clk := clock.NewFake(start())
	st := newStore(t, kvtest.Memory(t, clk), clk)
	id, _ := st.Create(ctx, session.Session{UserID: 7})

	// Used every 6 days, it outlives the 7-day idle expiry.
	for day := 6; day <= 24; day += 6 {
		clk.Advance(6 * 24 * time.Hour)
		got, err := st.Get(ctx, id)
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if !got.SeenAt.Equal(clk.Now()) || !got.CreatedAt.Equal(start()) {
			t.Fatalf("day %d: %+v", day, got)
		}
	}
	// Left alone longer than 7 days, it expires.
	clk.Advance(7*24*time.Hour + time.Second)
	if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
		t.Fatalf("after 7 idle days: %v", err)
	}

	// Never used, it expires after 7 days too.
	id2, _ := st.Create(ctx, session.Session{UserID: 8})
	clk.Advance(7*24*time.Hour - time.Minute)
	clk.Advance(2 * time.Minute)
	if _, err := st.Get(ctx, id2); !errors.Is(err, service.ErrUnauthorized) {
		t.Fatalf("unused session after 7 days: %v", err)
	}
}

func TestAbsoluteExpiry(t *testing.T) {
	clk := clock.NewFake(start())
	st := newStore(t, kvtest.Memory(t, clk), clk)
	id, _ := st.Create(ctx, session.Session{UserID: 9})
	for day := 5; day <= 30; day += 5 {
		clk.Advance(5 * 24 * time.Hour)
		if _, err := st.Get(ctx, id); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
	}
	// Seen a day ago, so the idle expiry is far; 30 days are up, though.
	clk.Advance(24 * time.Hour)
	if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
		t.Fatalf("day 31: %v, want ErrUnauthorized", err)
	}
	// And the session is gone for good.
	clk.Set(start().Add(time.Hour))
	if _, err := st.Get(ctx, id); !errors.Is(err, service.ErrUnauthorized) {
		t.Fatalf("expired session came back: %v", err)
	}
}

func TestOAuthStateSingleUse(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		st := newStore(t, s, clock.Real{})
		state, err := st.NewState(ctx, "/activate?entry=gaoxiao", browserA)
		if err != nil {
			t.Fatal(err)
		}
		if len(state) < 32 {
			t.Fatalf("state %q is short", state)
		}
		other, _ := st.NewState(ctx, "/me", browserA)
		if other == state {
			t.Fatal("states repeat")
		}
		got, err := st.ConsumeState(ctx, state, browserA)
		if err != nil || got != "/activate?entry=gaoxiao" {
			t.Fatalf("ConsumeState: %q, %v", got, err)
		}
		if _, err := st.ConsumeState(ctx, state, browserA); !errors.Is(err, service.ErrInvalid) {
			t.Fatalf("second ConsumeState: %v, want ErrInvalid", err)
		}
		for _, bad := range []string{"", "unknown", strings.Repeat("a", 65)} {
			if _, err := st.ConsumeState(ctx, bad, browserA); !errors.Is(err, service.ErrInvalid) {
				t.Errorf("ConsumeState(%q): %v", bad, err)
			}
		}
		if got, err := st.ConsumeState(ctx, other, browserA); err != nil || got != "/me" {
			t.Fatalf("other state: %q, %v", got, err)
		}
	})
}

// Browser secrets, as kept in the OAuth cookie of two browsers.
var (
	browserA = strings.Repeat("a", 43)
	browserB = strings.Repeat("b", 43)
)

// A state is good only in the browser that asked for it: a state sent to
// someone else as a link signs nobody in, and is spent.
func TestOAuthStateBoundToBrowser(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		st := newStore(t, s, clock.Real{})
		if _, err := st.NewState(ctx, "/h5/home", ""); err == nil {
			t.Fatal("a state without a browser secret was issued")
		}
		state, err := st.NewState(ctx, "/h5/home", browserA)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{browserB, "", browserA[:42]} {
			state2, _ := st.NewState(ctx, "/h5/home", browserA)
			if _, err := st.ConsumeState(ctx, state2, other); !errors.Is(err, service.ErrInvalid) {
				t.Errorf("state consumed by browser %q: %v, want ErrInvalid", other, err)
			}
			if _, err := st.ConsumeState(ctx, state2, browserA); !errors.Is(err, service.ErrInvalid) {
				t.Errorf("state refused to another browser still usable: %v", err)
			}
		}
		if got, err := st.ConsumeState(ctx, state, browserA); err != nil || got != "/h5/home" {
			t.Fatalf("own browser: %q, %v", got, err)
		}
	})
}

func TestOAuthStateExpires(t *testing.T) {
	clk := clock.NewFake(start())
	st := newStore(t, kvtest.Memory(t, clk), clk)
	fresh, _ := st.NewState(ctx, "/a", browserA)
	stale, _ := st.NewState(ctx, "/b", browserA)
	clk.Advance(9 * time.Minute)
	if got, err := st.ConsumeState(ctx, fresh, browserA); err != nil || got != "/a" {
		t.Fatalf("after 9 minutes: %q, %v", got, err)
	}
	clk.Advance(time.Minute + time.Second)
	if _, err := st.ConsumeState(ctx, stale, browserA); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("after 10 minutes: %v, want ErrInvalid", err)
	}
}

func TestNewRejectsNilDependencies(t *testing.T) {
	if _, err := session.New(nil, clock.Real{}, 0, 0); err == nil {
		t.Fatal("nil store accepted")
	}
	if _, err := session.New(kvtest.Memory(t, nil), nil, 0, 0); err == nil {
		t.Fatal("nil clock accepted")
	}
}

// Every session has its own CSRF token, a new one per session; a session
// stored before sessions had one gets one when next read.
func TestSessionCSRFToken(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		st := newStore(t, s, clock.NewFake(start()))
		a, err := st.Create(ctx, session.Session{UserID: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.Create(ctx, session.Session{UserID: 1})
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := st.Get(ctx, a)
		sb, _ := st.Get(ctx, b)
		if len(sa.CSRF) < 32 || sa.CSRF == sb.CSRF {
			t.Fatalf("tokens %q and %q: want two random ones", sa.CSRF, sb.CSRF)
		}
		// An old session: stored without a token.
		h := sha256.Sum256([]byte("legacy-session-id"))
		raw := fmt.Sprintf(`{"uid":7,"c":%q,"s":%q}`, start().Format(time.RFC3339Nano), start().Format(time.RFC3339Nano))
		if err := s.Set(ctx, "sess:"+hex.EncodeToString(h[:]), raw, time.Hour); err != nil {
			t.Fatal(err)
		}
		first, err := st.Get(ctx, "legacy-session-id")
		if err != nil || first.UserID != 7 || len(first.CSRF) < 32 {
			t.Fatalf("legacy session %+v, %v: want a token", first, err)
		}
		again, _ := st.Get(ctx, "legacy-session-id")
		if again.CSRF != first.CSRF {
			t.Fatalf("legacy session's token changed: %q then %q", first.CSRF, again.CSRF)
		}
	})
}

// A file kept for its confirmation is its uploader's alone, until it is
// dropped or expires.
func TestKeptUpload(t *testing.T) {
	clk := clock.NewFake(start())
	store, err := kv.NewMemory(clk)
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(store, clk, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("PK\x03\x04 binary\x00data")
	tok, err := s.Keep(ctx, 7, data, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Kept(ctx, tok, 7); err != nil || string(got) != string(data) {
		t.Fatalf("kept: %q, %v", got, err)
	}
	if _, err := s.Kept(ctx, tok, 8); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("another user's: %v", err)
	}
	clk.Advance(31 * time.Minute)
	if _, err := s.Kept(ctx, tok, 7); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("after 31 minutes: %v", err)
	}
	tok, _ = s.Keep(ctx, 7, data, 30*time.Minute)
	if err := s.Drop(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kept(ctx, tok, 7); !errors.Is(err, service.ErrInvalid) {
		t.Fatalf("after drop: %v", err)
	}
}

// A session with its own idle expiry (an admin's password session) ends
// after that long without a request, on the store's clock, while each
// request slides it; how it began is kept. One without lasts the store's.
func TestOwnIdleExpiry(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		clk := clock.NewFake(start())
		st := newStore(t, s, clk)
		short, err := st.Create(ctx, session.Session{UserID: 1, Via: session.ViaPassword, Idle: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		long, err := st.Create(ctx, session.Session{UserID: 2, Via: session.ViaPassword})
		if err != nil {
			t.Fatal(err)
		}
		if st.IdleOf(session.Session{Idle: time.Minute}) != time.Minute || st.IdleOf(session.Session{}) != session.DefaultIdle {
			t.Fatal("IdleOf")
		}
		for range 3 {
			clk.Advance(25 * time.Minute)
			got, err := st.Get(ctx, short)
			if err != nil || got.Via != session.ViaPassword || got.Idle != 30*time.Minute {
				t.Fatalf("active every 25 minutes: %+v %v", got, err)
			}
		}
		clk.Advance(31 * time.Minute)
		if _, err := st.Get(ctx, short); !errors.Is(err, service.ErrUnauthorized) {
			t.Fatalf("after 31 idle minutes: %v, want unauthorized", err)
		}
		if _, err := st.Get(ctx, long); err != nil {
			t.Fatalf("the store's 7 days: %v", err)
		}
	})
}
