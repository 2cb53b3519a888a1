package account_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// lockedBuffer collects the service's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type pwEnv struct {
	db   *model.DB
	clk  *clock.Fake
	svc  *account.Service
	pw   *account.Passwords
	logs *lockedBuffer
}

func eachPasswords(t *testing.T, fn func(t *testing.T, e *pwEnv)) {
	t.Helper()
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		clk := clock.NewFake(startTime())
		logs := &lockedBuffer{}
		db := b.DB()
		svc, err := account.New(db, b.KVOn(clk), clk, slog.New(slog.NewTextHandler(logs, nil)),
			account.Options{BcryptCost: 4, Throttle: account.Throttle{MaxFailures: 3}})
		if err != nil {
			t.Fatal(err)
		}
		pw, err := account.NewPasswords(svc, servicetest.Notifier(t, db, clk))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &pwEnv{db: db, clk: clk, svc: svc, pw: pw, logs: logs})
	})
}

// user stores an account with password at university uni, bound to a
// WeChat when bound.
func (e *pwEnv) user(t *testing.T, role string, uni *uint64, bound bool, password string) model.User {
	t.Helper()
	u := servicetest.NewUser(t, e.db, role, uni, bound)
	h, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Conn(ctx).Model(&u).Update("password_hash", string(h)).Error; err != nil {
		t.Fatal(err)
	}
	return servicetest.Reload(t, e.db, u.ID)
}

func (e *pwEnv) uni(t *testing.T, code string) *uint64 {
	t.Helper()
	u, err := e.svc.UniversityByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return &u.ID
}

// wantAlert checks u was alerted once that the password changed, by how.
func (e *pwEnv) wantAlert(t *testing.T, u model.User, how string) {
	t.Helper()
	ms := servicetest.Alerts(t, e.db, alertkind.PasswordChanged)
	servicetest.WantRecipients(t, "password_changed", ms, u)
	if d := servicetest.AlertData(t, ms[0]); !strings.Contains(d["thing1"], how) {
		t.Errorf("alert data %v, want how %q", d, how)
	}
	var n int64
	if err := e.db.Conn(ctx).Model(&model.Message{}).Where("user_id = ? AND kind = ?", u.ID, "password_changed").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("我的消息 has %d password messages, want 1", n)
	}
}

// wantLogged checks the structured log line and that no password appears.
func (e *pwEnv) wantLogged(t *testing.T, method string, secrets ...string) {
	t.Helper()
	out := e.logs.String()
	if !strings.Contains(out, "password changed") || !strings.Contains(out, "method="+method) {
		t.Errorf("log lacks the change by %s:\n%s", method, out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains the password %q:\n%s", s, out)
		}
	}
}

func login(e *pwEnv, u model.User, password string) error {
	_, err := e.svc.Login(ctx, u.Account, password, "10.0.0.1")
	return err
}

func TestChangePassword(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		u := e.user(t, model.RoleStudent, e.uni(t, codeSYSU), true, "oldpass123")
		e.clk.Advance(time.Minute)
		got, err := e.pw.Change(ctx, u, account.ChangeInput{Current: "oldpass123", New: "newpass456", Confirm: "newpass456", ClientIP: "10.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordChangedAt == nil || !got.PasswordChangedAt.Equal(e.clk.Now().UTC()) || got.MustChangePassword {
			t.Errorf("changed user %+v", got)
		}
		if stored := servicetest.Reload(t, e.db, u.ID); stored.PasswordChangedAt == nil {
			t.Error("password_changed_at not stored")
		}
		if err := login(e, u, "oldpass123"); err == nil {
			t.Error("the old password still logs in")
		}
		if err := login(e, u, "newpass456"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		e.wantAlert(t, u, "本人修改")
		e.wantLogged(t, account.MethodChange, "oldpass123", "newpass456")
	})
}

func TestChangePasswordRules(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		u := e.user(t, model.RoleStudent, e.uni(t, codeSYSU), false, "oldpass123")
		for _, c := range []struct {
			name  string
			in    account.ChangeInput
			field string
		}{
			{"no current", account.ChangeInput{New: "newpass456", Confirm: "newpass456"}, "current"},
			{"short", account.ChangeInput{Current: "oldpass123", New: "abc", Confirm: "abc"}, "new"},
			{"symbols", account.ChangeInput{Current: "oldpass123", New: "new pass!", Confirm: "new pass!"}, "new"},
			{"mismatch", account.ChangeInput{Current: "oldpass123", New: "newpass456", Confirm: "newpass457"}, "confirm"},
			{"same", account.ChangeInput{Current: "oldpass123", New: "oldpass123", Confirm: "oldpass123"}, "new"},
		} {
			_, err := e.pw.Change(ctx, u, c.in)
			servicetest.WantFieldError(t, c.name, err, c.field)
		}
		if n := len(servicetest.Alerts(t, e.db, alertkind.PasswordChanged)); n != 0 {
			t.Errorf("%d alerts for refused changes", n)
		}
	})
}

// A wrong current password is a failed login: three (the test's limit)
// lock the account, for the change and for logging in.
func TestChangePasswordWrongCurrentIsThrottled(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		u := e.user(t, model.RoleStudent, e.uni(t, codeSYSU), false, "oldpass123")
		in := account.ChangeInput{Current: "guess0001", New: "newpass456", Confirm: "newpass456", ClientIP: "10.0.0.2"}
		_, err := e.pw.Change(ctx, u, in)
		servicetest.WantFieldError(t, "wrong current", err, "current", "当前密码不正确")
		_, _ = e.pw.Change(ctx, u, in)
		_, err = e.pw.Change(ctx, u, in)
		servicetest.WantErr(t, "third wrong", err, service.ErrTooMany, "login_throttled")
		in.Current = "oldpass123"
		_, err = e.pw.Change(ctx, u, in)
		servicetest.WantErr(t, "right but locked", err, service.ErrTooMany, "login_throttled")
		if err := login(e, u, "oldpass123"); !errors.Is(err, service.ErrTooMany) {
			t.Errorf("login after wrong current passwords: %v, want throttled", err)
		}
		if stored := servicetest.Reload(t, e.db, u.ID); stored.PasswordHash != u.PasswordHash {
			t.Error("password changed")
		}
	})
}

func TestResetInWeChatOnlyForTheBoundAccount(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		uni := e.uni(t, codeSYSU)
		u := e.user(t, model.RoleStudent, uni, true, "oldpass123")
		other := e.user(t, model.RoleStudent, uni, true, "other12345")
		unbound := e.user(t, model.RoleStudent, uni, false, "unbound123")
		in := account.ChangeInput{New: "newpass456", Confirm: "newpass456"}
		for name, c := range map[string]struct {
			u      model.User
			openid string
		}{
			"no WeChat":     {u, ""},
			"other WeChat":  {u, servicetest.OpenID(other)},
			"unbound":       {unbound, servicetest.OpenID(u)},
			"unbound, none": {unbound, ""},
		} {
			_, err := e.pw.ResetInWeChat(ctx, c.u, c.openid, in)
			servicetest.WantErr(t, name, err, service.ErrForbidden, "wechat_required")
		}
		_, err := e.pw.ResetInWeChat(ctx, u, servicetest.OpenID(u), account.ChangeInput{New: "newpass456", Confirm: "x"})
		servicetest.WantFieldError(t, "mismatch", err, "confirm")
		if _, err := e.pw.ResetInWeChat(ctx, u, servicetest.OpenID(u), in); err != nil {
			t.Fatal(err)
		}
		if err := login(e, u, "newpass456"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		e.wantAlert(t, u, "微信内重置")
		e.wantLogged(t, account.MethodWeChat, "newpass456")
	})
}

func TestIssueTemporaryPassword(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		sysu, jnu := e.uni(t, codeSYSU), e.uni(t, codeJNU)
		admin := e.user(t, model.RoleUniversityAdm, sysu, false, "admin12345")
		province := e.user(t, model.RoleProvinceAdmin, nil, false, "prov123456")
		cadre := e.user(t, model.RoleCadre, sysu, false, "cadre12345")
		mine := e.user(t, model.RoleStudent, sysu, true, "mine123456")
		theirs := e.user(t, model.RoleStudent, jnu, true, "theirs1234")

		_, _, err := e.pw.IssueTemporary(ctx, cadre, mine.Account)
		servicetest.WantErr(t, "cadre", err, service.ErrForbidden, "admin_only")
		_, _, err = e.pw.IssueTemporary(ctx, admin, theirs.Account)
		servicetest.WantErr(t, "other university", err, service.ErrNotFound, "user_not_found")
		_, _, err = e.pw.IssueTemporary(ctx, admin, province.Account)
		servicetest.WantErr(t, "province admin", err, service.ErrNotFound, "user_not_found")
		_, _, err = e.pw.IssueTemporary(ctx, admin, "nobody999")
		servicetest.WantErr(t, "unknown", err, service.ErrNotFound, "user_not_found")

		got, temp, err := e.pw.IssueTemporary(ctx, admin, strings.ToUpper(mine.Account))
		if err != nil {
			t.Fatal(err)
		}
		if len(temp) != account.TemporaryLength || !got.MustChangePassword || !servicetest.Reload(t, e.db, mine.ID).MustChangePassword {
			t.Errorf("temporary %q, user %+v", temp, got)
		}
		if err := login(e, mine, "mine123456"); err == nil {
			t.Error("the old password still logs in")
		}
		u, err := e.svc.Login(ctx, mine.Account, temp, "")
		if err != nil || !u.MustChangePassword {
			t.Fatalf("login with the temporary password: %+v, %v", u, err)
		}
		e.wantAlert(t, mine, "管理员重置")
		e.wantLogged(t, account.MethodAdmin, temp)
		if !strings.Contains(e.logs.String(), "actor_id=") {
			t.Error("the log does not name the admin")
		}

		// The forced change needs no current password, may not keep the
		// temporary one, and clears the flag.
		_, err = e.pw.Change(ctx, u, account.ChangeInput{New: temp, Confirm: temp})
		servicetest.WantFieldError(t, "keep temporary", err, "new")
		e.clk.Advance(time.Minute)
		if u, err = e.pw.Change(ctx, u, account.ChangeInput{New: "mynew12345", Confirm: "mynew12345"}); err != nil {
			t.Fatal(err)
		}
		if u.MustChangePassword || servicetest.Reload(t, e.db, mine.ID).MustChangePassword {
			t.Error("must_change not cleared")
		}
		if _, err := e.svc.Login(ctx, mine.Account, temp, ""); err == nil {
			t.Error("the temporary password works twice")
		}

		// The province admin resets any account.
		if _, _, err := e.pw.IssueTemporary(ctx, province, theirs.Account); err != nil {
			t.Errorf("province: %v", err)
		}
	})
}

func TestNewPasswordsRejectsNil(t *testing.T) {
	if p, err := account.NewPasswords(nil, nil); err == nil || p != nil {
		t.Errorf("NewPasswords(nil, nil) = %v, %v", p, err)
	}
}
