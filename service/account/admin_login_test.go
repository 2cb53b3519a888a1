package account_test

import (
	"errors"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
)

func TestAdminPasswordOK(t *testing.T) {
	for pw, want := range map[string]bool{
		"abcde12345": true, "Strong2026x": true,
		"abc1234567": true, "secret123": false, // nine characters
		"abcdefghijk": false, "12345678901": false, "abcde 12345": false, "": false,
	} {
		if got := account.AdminPasswordOK(pw); got != want {
			t.Errorf("AdminPasswordOK(%q) = %v, want %v", pw, got, want)
		}
	}
}

// YV_ADMIN_LOGIN=scan: an admin's right password is refused with 请使用
// 微信扫码登录 (a wrong one reads as any wrong password, revealing
// nothing); students are unaffected; inside WeChat an admin not yet
// bound may still sign in once to bind (the usual activation).
func TestScanOnlyRefusesAdminPassword(t *testing.T) {
	each(t, envOpt{opts: account.Options{AdminScanOnly: true}}, func(t *testing.T, e *env) {
		student := e.newUser(t, "student01", "pass2026", "")
		if _, err := e.svc.SignIn(ctx, "student01", "pass2026", "10.0.0.1", ""); err != nil {
			t.Fatalf("student: %v", err)
		}
		admin := e.newUser(t, "uadmin001", "Strong2026x", "")
		if _, err := account.GrantRole(ctx, e.db, admin.ID, model.RoleUniversityAdm, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.SignIn(ctx, "uadmin001", "Strong2026x", "10.0.0.1", "")
		if se := wantKind(t, "admin's password on a PC", err, service.ErrForbidden); se.Message != "管理员账号请使用微信扫码登录" {
			t.Fatalf("message %q", se.Message)
		}
		_, err = e.svc.SignIn(ctx, "uadmin001", "wrong2026x", "10.0.0.1", "")
		if se := wantKind(t, "admin's wrong password", err, service.ErrUnauthorized); se.Message != "账号或密码错误" {
			t.Fatalf("wrong password says %q", se.Message)
		}
		// Binding inside WeChat: allowed once, then the WeChat is bound
		// and a password is refused there too.
		if _, err := e.svc.SignIn(ctx, "uadmin001", "Strong2026x", "10.0.0.1", "oAdminBind00000000000000001"); err != nil {
			t.Fatalf("binding the admin's WeChat: %v", err)
		}
		_, err = e.svc.SignIn(ctx, "uadmin001", "Strong2026x", "10.0.0.1", "oAdminBind00000000000000001")
		wantKind(t, "a bound admin's password in WeChat", err, service.ErrForbidden)
		if !e.svc.AdminScanOnly() {
			t.Fatal("AdminScanOnly false")
		}
		_ = student
	})
	each(t, envOpt{}, func(t *testing.T, e *env) {
		admin := e.newUser(t, "padmin001", "Strong2026x", "")
		if _, err := account.GrantRole(ctx, e.db, admin.ID, model.RoleProvinceAdmin, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SignIn(ctx, "padmin001", "Strong2026x", "10.0.0.1", ""); err != nil {
			t.Fatalf("password mode: %v", err)
		}
	})
}

// An admin signing in with a password below the admins' rule must
// change it first (must_change_password); a strong one, or a student's
// short one, does not.
func TestAdminWeakPasswordForcesChange(t *testing.T) {
	each(t, envOpt{}, func(t *testing.T, e *env) {
		weak := e.newUser(t, "uadmin002", "pass2026", "")
		strong := e.newUser(t, "uadmin003", "Strong2026x", "")
		e.newUser(t, "student02", "pass2026", "")
		for _, u := range []model.User{weak, strong} {
			if _, err := account.GrantRole(ctx, e.db, u.ID, model.RoleUniversityAdm, e.clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		u, err := e.svc.SignIn(ctx, "uadmin002", "pass2026", "10.0.0.1", "")
		if err != nil || !u.MustChangePassword || !e.reload(t, weak.ID).MustChangePassword {
			t.Fatalf("weak admin password: must change %v, %v", u.MustChangePassword, err)
		}
		if u, err := e.svc.SignIn(ctx, "uadmin003", "Strong2026x", "10.0.0.1", ""); err != nil || u.MustChangePassword {
			t.Fatalf("strong admin password: must change %v, %v", u.MustChangePassword, err)
		}
		if u, err := e.svc.SignIn(ctx, "student02", "pass2026", "10.0.0.1", ""); err != nil || u.MustChangePassword {
			t.Fatalf("student: must change %v, %v", u.MustChangePassword, err)
		}
	})
}

// An admin's new password (changed, reset in WeChat) must have ten or
// more letters and digits; a student's six; a temporary one issued to
// an admin meets the rule too.
func TestAdminPasswordRuleOnChange(t *testing.T) {
	eachPasswords(t, func(t *testing.T, e *pwEnv) {
		uni := uint64(1)
		admin := e.user(t, model.RoleUniversityAdm, &uni, true, "Strong2026x")
		for _, pw := range []string{"short12", "abcdefghijkl", "123456789012"} {
			_, err := e.pw.Change(ctx, admin, account.ChangeInput{Current: "Strong2026x", New: pw, Confirm: pw})
			se := wantKind(t, "admin's new password "+pw, err, service.ErrInvalid)
			if se.Fields["new"] != "管理员密码须为 10–32 位，同时包含英文字母和数字" {
				t.Fatalf("%s: fields %v", pw, se.Fields)
			}
		}
		_, err := e.pw.ResetInWeChat(ctx, admin, *admin.OpenID, account.ChangeInput{New: "weak2026", Confirm: "weak2026"})
		wantKind(t, "admin's WeChat reset to a weak password", err, service.ErrInvalid)
		if _, err := e.pw.Change(ctx, admin, account.ChangeInput{Current: "Strong2026x", New: "Better2027y", Confirm: "Better2027y"}); err != nil {
			t.Fatalf("a good admin password: %v", err)
		}
		student := e.user(t, model.RoleStudent, &uni, true, "pass2026")
		if _, err := e.pw.Change(ctx, student, account.ChangeInput{Current: "pass2026", New: "new2026", Confirm: "new2026"}); err != nil {
			t.Fatalf("a student's six-character password: %v", err)
		}
		province := e.user(t, model.RoleProvinceAdmin, nil, false, "Strong2026x")
		for range 20 {
			_, temp, err := e.pw.IssueTemporary(ctx, province, admin.Account)
			if err != nil || !account.AdminPasswordOK(temp) {
				t.Fatalf("temporary admin password %q: %v", temp, err)
			}
		}
	})
}

func wantKind(t *testing.T, what string, err, kind error) *service.Error {
	t.Helper()
	var se *service.Error
	if !errors.Is(err, kind) || !errors.As(err, &se) {
		t.Fatalf("%s: %v, want %v", what, err, kind)
	}
	return se
}
