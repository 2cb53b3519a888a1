package account_test

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func TestLoginSameAnswerForUnknownAccountAndWrongPassword(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		u := e.newUser(t, "login01", "right01", "")
		got, err := e.svc.Login(ctx, " LOGIN01 ", "right01", "10.1.0.1")
		if err != nil || got.ID != u.ID {
			t.Fatalf("login: %d, %v", got.ID, err)
		}
		if got.LastLoginAt == nil || !e.reload(t, u.ID).LastLoginAt.Equal(e.clk.Now()) {
			t.Errorf("last login not recorded: %v", e.reload(t, u.ID).LastLoginAt)
		}

		_, errWrong := e.svc.Login(ctx, "login01", "wrong01", "10.1.0.2")
		_, errUnknown := e.svc.Login(ctx, "nobody01", "right01", "10.1.0.3")
		wrong := servicetest.WantErr(t, "", errWrong, service.ErrUnauthorized, "")
		unknown := servicetest.WantErr(t, "", errUnknown, service.ErrUnauthorized, "")
		if wrong.Message != "账号或密码错误" {
			t.Errorf("wrong password message %q", wrong.Message)
		}
		if wrong.Code != unknown.Code || wrong.Message != unknown.Message || fmt.Sprint(wrong.Fields) != fmt.Sprint(unknown.Fields) {
			t.Fatalf("answers differ: %+v vs %+v", wrong, unknown)
		}

		// Missing input is a form error, not a failed login.
		_, err = e.svc.Login(ctx, "", "x", "10.1.0.4")
		if se := servicetest.WantErr(t, "", err, service.ErrInvalid, ""); se.Fields["account"] == "" {
			t.Errorf("fields %v", se.Fields)
		}
		_, err = e.svc.Login(ctx, "login01", "", "10.1.0.4")
		if se := servicetest.WantErr(t, "", err, service.ErrInvalid, ""); se.Fields["password"] == "" {
			t.Errorf("fields %v", se.Fields)
		}
	})
}

var waitRE = regexp.MustCompile(`请 (\d+) 分钟后再试`)

// throttled asserts a throttling error and returns the wait in minutes
// its message gives.
func throttled(t *testing.T, err error) int {
	t.Helper()
	se := servicetest.WantErr(t, "", err, service.ErrTooMany, "")
	m := waitRE.FindStringSubmatch(se.Message)
	if !strings.Contains(se.Message, "登录失败次数过多") || m == nil {
		t.Fatalf("throttle message %q", se.Message)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestLoginThrottlePerAccount(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "victim01", "right01", "")
		for i := 1; i <= 4; i++ {
			_, err := e.svc.Login(ctx, "victim01", "wrong01", fmt.Sprintf("10.2.0.%d", i))
			servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		}
		// The fifth failure is still a failure (it may already say to wait).
		_, err := e.svc.Login(ctx, "VICTIM01", "wrong01", "10.2.0.5")
		if !errors.Is(err, service.ErrUnauthorized) && !errors.Is(err, service.ErrTooMany) {
			t.Fatalf("5th failure: %v", err)
		}
		// The sixth attempt is refused even with the right password, from a
		// fresh IP, whatever the case of the account.
		_, err = e.svc.Login(ctx, "Victim01", "right01", "10.2.0.6")
		if mins := throttled(t, err); mins != 15 {
			t.Fatalf("wait %d minutes, want 15", mins)
		}
		// Signing in from WeChat goes through the same throttle.
		_, err = e.svc.SignIn(ctx, "victim01", "right01", "10.2.0.7", "oid-x")
		throttled(t, err)
		// Other accounts are unaffected.
		e.newUser(t, "bystander1", "right01", "")
		if _, err := e.svc.Login(ctx, "bystander1", "right01", "10.2.0.8"); err != nil {
			t.Fatalf("other account: %v", err)
		}
	})
}

// One IP spraying passwords over many accounts (each below its own
// limit) is stopped at the IP's limit, 100 failures by default.
func TestLoginThrottlePerIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		limit int // 0: the default
		want  int
	}{{"default", 0, 100}, {"configured", 12, 12}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opt := envOpt{opts: account.Options{Throttle: account.Throttle{MaxIPFailures: tc.limit}}}
			each(t, opt, func(t *testing.T, e *env) {
				// Each account is failed at most 4 times: none reaches its
				// own limit of 5.
				accounts := (tc.want + 3) / 4
				for i := range accounts {
					e.newUser(t, fmt.Sprintf("spray%03d", i), "right01", "")
				}
				e.newUser(t, "sprayok1", "right01", "")
				const ip = "203.0.113.7"
				for i := range tc.want {
					_, err := e.svc.Login(ctx, fmt.Sprintf("spray%03d", i%accounts), "wrong01", ip)
					if i < tc.want-1 && !errors.Is(err, service.ErrUnauthorized) {
						t.Fatalf("failure %d of %d from one IP: %v, want a plain failure", i+1, tc.want, err)
					}
				}
				_, err := e.svc.Login(ctx, "sprayok1", "right01", ip)
				if mins := throttled(t, err); mins != 15 {
					t.Fatalf("wait %d minutes, want 15", mins)
				}
				// The same account from another IP is fine.
				if _, err := e.svc.Login(ctx, "sprayok1", "right01", "203.0.113.8"); err != nil {
					t.Fatalf("other IP: %v", err)
				}
			})
		})
	}
}

// A campus reaches the service from a few NAT addresses: students
// mistyping their passwords there do not lock out the others.
func TestLoginThrottleSharedCampusIP(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		const ip = "10.7.0.1"
		for i := range 30 {
			e.newUser(t, fmt.Sprintf("campus%03d", i), "right01", "")
			_, err := e.svc.Login(ctx, fmt.Sprintf("campus%03d", i), "typo001", ip)
			servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		}
		e.newUser(t, "campusok1", "right01", "")
		if _, err := e.svc.Login(ctx, "campusok1", "right01", ip); err != nil {
			t.Fatalf("after 30 students' typos from one campus IP: %v", err)
		}
	})
}

// Failures against one account count for the IP too, including the one
// that locks the account.
func TestLoginThrottleCountsEveryFailureForTheIP(t *testing.T) {
	t.Parallel()
	each(t, envOpt{opts: account.Options{Throttle: account.Throttle{MaxIPFailures: 5}}}, func(t *testing.T, e *env) {
		e.newUser(t, "target01", "right01", "")
		e.newUser(t, "target02", "right01", "")
		const ip = "203.0.113.9"
		for range 5 {
			_, _ = e.svc.Login(ctx, "target01", "wrong01", ip)
		}
		_, err := e.svc.Login(ctx, "target02", "right01", ip)
		throttled(t, err)
	})
}

func TestLoginThrottleWindowExpires(t *testing.T) {
	t.Parallel()
	each(t, envOpt{memoryKV: true}, func(t *testing.T, e *env) {
		e.newUser(t, "patient1", "right01", "")
		for range 5 {
			_, _ = e.svc.Login(ctx, "patient1", "wrong01", "10.3.0.1")
		}
		_, err := e.svc.Login(ctx, "patient1", "right01", "10.3.0.1")
		throttled(t, err)

		e.clk.Advance(10 * time.Minute)
		_, err = e.svc.Login(ctx, "patient1", "right01", "10.3.0.1")
		if mins := throttled(t, err); mins != 5 {
			t.Fatalf("after 10 minutes: wait %d minutes, want 5", mins)
		}

		e.clk.Advance(6 * time.Minute)
		if _, err := e.svc.Login(ctx, "patient1", "right01", "10.3.0.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestSuccessfulLoginResetsAccountCounter(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "forgetful", "right01", "")
		ip := 0
		nextIP := func() string { ip++; return fmt.Sprintf("10.4.0.%d", ip) }
		for range 4 {
			_, err := e.svc.Login(ctx, "forgetful", "wrong01", nextIP())
			servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		}
		if _, err := e.svc.Login(ctx, "forgetful", "right01", nextIP()); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			_, err := e.svc.Login(ctx, "forgetful", "wrong01", nextIP())
			servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		}
		if _, err := e.svc.Login(ctx, "forgetful", "right01", nextIP()); err != nil {
			t.Fatalf("counter was not reset by the successful login: %v", err)
		}
	})
}

// Attempts made at the same moment each take a place under the limit
// before their password is checked: however many arrive at once, no more
// than the limit are checked, and then even the right password waits.
func TestConcurrentLoginsCannotOutrunTheThrottle(t *testing.T) {
	t.Parallel()
	const n, maxFailures, maxIPFailures = 40, 5, 10
	race := func(t *testing.T, login func(i int) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = login(i)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, service.ErrUnauthorized) && !errors.Is(err, service.ErrTooMany) {
				t.Errorf("attempt %d: %v, want a failed or throttled login", i, err)
			}
		}
	}
	t.Run("one account", func(t *testing.T) {
		t.Parallel()
		each(t, envOpt{}, func(t *testing.T, e *env) {
			e.newUser(t, "crowded1", "right01", "")
			checks := e.svc.CountPasswordChecks(20 * time.Millisecond)
			race(t, func(i int) error {
				_, err := e.svc.Login(ctx, "crowded1", "wrong01", fmt.Sprintf("10.5.0.%d", i+1))
				return err
			})
			if got := checks.Load(); got != maxFailures {
				t.Fatalf("%d of %d concurrent wrong passwords were checked, want %d", got, n, maxFailures)
			}
			_, err := e.svc.Login(ctx, "crowded1", "right01", "10.5.1.1")
			throttled(t, err)
			if got := checks.Load(); got != maxFailures {
				t.Fatalf("the throttled login was checked (%d checks)", got)
			}
		})
	})
	t.Run("one IP", func(t *testing.T) {
		t.Parallel()
		opt := envOpt{opts: account.Options{Throttle: account.Throttle{MaxIPFailures: maxIPFailures}}}
		each(t, opt, func(t *testing.T, e *env) {
			e.newUser(t, "crowded2", "right01", "")
			checks := e.svc.CountPasswordChecks(20 * time.Millisecond)
			const ip = "198.51.100.7"
			race(t, func(i int) error {
				_, err := e.svc.Login(ctx, fmt.Sprintf("sprayed%02d", i), "wrong01", ip)
				return err
			})
			if got := checks.Load(); got != maxIPFailures {
				t.Fatalf("%d of %d concurrent wrong passwords were checked, want %d", got, n, maxIPFailures)
			}
			_, err := e.svc.Login(ctx, "crowded2", "right01", ip)
			throttled(t, err)
			// The refused attempts did not count against the account.
			if _, err := e.svc.Login(ctx, "crowded2", "right01", "198.51.100.8"); err != nil {
				t.Fatalf("from another IP: %v", err)
			}
		})
	})
}

// A successful login is not a failure for its IP: a campus NAT full of
// students signing in does not lock itself out.
func TestSuccessfulLoginsDoNotCountAgainstTheIP(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		const ip = "10.6.0.1"
		for i := range 8 {
			acct := fmt.Sprintf("student%02d", i)
			e.newUser(t, acct, "right01", "")
			if _, err := e.svc.Login(ctx, acct, "right01", ip); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		for range 4 {
			_, err := e.svc.Login(ctx, "student00", "wrong01", ip)
			servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		}
	})
}

// On MySQL the account lookup's collation ignores accents and width; the
// throttle counts the name as typed. Lookalike spellings of a throttled
// account must not reach its password check, on either database.
func TestLoginLookalikeSpellingsNeverReachTheAccount(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "victim01", "right01", "")
		for i := 1; i <= 5; i++ {
			_, _ = e.svc.Login(ctx, "victim01", "wrong01", fmt.Sprintf("10.9.0.%d", i))
		}
		throttled(t, func() error { _, err := e.svc.Login(ctx, "victim01", "right01", "10.9.1.1"); return err }())
		for i, v := range []string{"víctim01", "vìctim01", "ｖictim01", "victím01", "vīctim01", "ab\xff\xfecdef"} {
			_, err := e.svc.Login(ctx, v, "right01", fmt.Sprintf("10.9.2.%d", i))
			if !errors.Is(err, service.ErrUnauthorized) {
				t.Errorf("%q: %v, want the unknown-account answer", v, err)
			}
		}
	})
}

// A hash weaker than the configured cost (imported from the old system) is
// upgraded at the next successful login, and the password still works.
func TestLoginUpgradesWeakHash(t *testing.T) {
	t.Parallel()
	each(t, envOpt{opts: account.Options{BcryptCost: 5}}, func(t *testing.T, e *env) {
		u := e.newUser(t, "oldhash01", "right01", "")
		weak, err := bcrypt.GenerateFromPassword([]byte("right01"), 4)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.Conn(ctx).Model(&model.User{}).Where("id = ?", u.ID).Update("password_hash", string(weak)).Error; err != nil {
			t.Fatal(err)
		}
		cost := func() int {
			var got model.User
			if err := e.db.Conn(ctx).Take(&got, u.ID).Error; err != nil {
				t.Fatal(err)
			}
			c, err := bcrypt.Cost([]byte(got.PasswordHash))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := e.svc.Login(ctx, "oldhash01", "wrong01", "10.7.0.1"); !errors.Is(err, service.ErrUnauthorized) {
			t.Fatalf("wrong password: %v", err)
		}
		if c := cost(); c != 4 {
			t.Fatalf("a failed login changed the hash (cost %d)", c)
		}
		if _, err := e.svc.Login(ctx, "oldhash01", "right01", "10.7.0.1"); err != nil {
			t.Fatal(err)
		}
		if c := cost(); c != 5 {
			t.Fatalf("hash cost %d after login, want 5", c)
		}
		if _, err := e.svc.Login(ctx, "oldhash01", "right01", "10.7.0.2"); err != nil {
			t.Fatalf("login with the upgraded hash: %v", err)
		}
	})
}
