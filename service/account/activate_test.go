package account_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func newInput(acct, password string) account.ActivateInput {
	return account.ActivateInput{
		Entry: "gaoxiao", Mode: account.ModeNew, Account: acct, Password: password, Confirm: password,
		UniversityCode: codeSYSU,
	}
}

func TestActivateNewValidation(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		cases := []struct {
			name   string
			mod    func(in *account.ActivateInput)
			field  string
			substr string
		}{
			{"account 5 chars", func(in *account.ActivateInput) { in.Account = "abc12" }, "account", "6–32 位英文字母或数字"},
			{"account 33 chars", func(in *account.ActivateInput) { in.Account = strings.Repeat("a", 33) }, "account", "6–32 位英文字母或数字"},
			{"account symbols", func(in *account.ActivateInput) { in.Account = "abc_123" }, "account", "6–32 位英文字母或数字"},
			{"account Chinese", func(in *account.ActivateInput) { in.Account = "张三abc123" }, "account", "6–32 位英文字母或数字"},
			{"account empty", func(in *account.ActivateInput) { in.Account = "  " }, "account", "请输入账号"},
			{"password 5 chars", func(in *account.ActivateInput) { in.Password, in.Confirm = "abc12", "abc12" }, "password", "6–32 位英文字母或数字"},
			{"password 33 chars", func(in *account.ActivateInput) { in.Password = strings.Repeat("b", 33); in.Confirm = in.Password }, "password", "6–32 位英文字母或数字"},
			{"password symbols", func(in *account.ActivateInput) { in.Password, in.Confirm = "abc!123", "abc!123" }, "password", "6–32 位英文字母或数字"},
			{"password Chinese", func(in *account.ActivateInput) { in.Password, in.Confirm = "密码abc123", "密码abc123" }, "password", "6–32 位英文字母或数字"},
			{"password empty", func(in *account.ActivateInput) { in.Password, in.Confirm = "", "" }, "password", "请输入密码"},
			{"confirm mismatch", func(in *account.ActivateInput) { in.Confirm = "abc1234" }, "confirm", "两次输入的密码不一致"},
			{"no university", func(in *account.ActivateInput) { in.UniversityCode = "" }, "university", "请选择学校"},
			{"unknown university", func(in *account.ActivateInput) { in.UniversityCode = codeUnknown }, "university", "不存在"},
			{"name too long", func(in *account.ActivateInput) { in.Name = strings.Repeat("名", 21) }, "name", "20 个字"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := newInput("abc123", "abc123")
				c.mod(&in)
				_, err := e.svc.Activate(ctx, in)
				se := servicetest.WantErr(t, "", err, service.ErrInvalid, "")
				if !strings.Contains(se.Fields[c.field], c.substr) {
					t.Fatalf("fields %v: want %s ~ %q", se.Fields, c.field, c.substr)
				}
				if se.Message != se.Fields[c.field] {
					t.Errorf("message %q, want the field's %q", se.Message, se.Fields[c.field])
				}
			})
		}
		if n := e.userCount(t); n != 0 {
			t.Fatalf("%d users created by invalid activations", n)
		}

		// Several problems are reported at once, field by field.
		_, err := e.svc.Activate(ctx, account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeNew, Account: "ab", Password: "x", Confirm: "x"})
		se := servicetest.WantErr(t, "", err, service.ErrInvalid, "")
		for _, f := range []string{"account", "password", "university"} {
			if se.Fields[f] == "" {
				t.Errorf("no %s message in %v", f, se.Fields)
			}
		}
		_, err = e.svc.Activate(ctx, account.ActivateInput{Entry: "gaoxiao", Mode: "whatever"})
		servicetest.WantErr(t, "", err, service.ErrInvalid, "")

		// Exactly 6 (and exactly 32) letters and digits are fine.
		for _, acct := range []string{"Ab3456", strings.Repeat("Z9", 16)} {
			u, err := e.svc.Activate(ctx, newInput(acct, acct))
			if err != nil {
				t.Fatalf("%s: %v", acct, err)
			}
			if u.Account != acct || u.AccountKey != strings.ToLower(acct) {
				t.Errorf("stored %q / %q for %q", u.Account, u.AccountKey, acct)
			}
		}
	})
}

func TestActivateNewStoresStudent(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		in := newInput("Student01", "Secret99")
		in.Name = " \u200b张\u202e三\u3000"
		in.UniversityCode = codeChaoshan
		u, err := e.svc.Activate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got := e.reload(t, u.ID)
		uni, _ := e.svc.UniversityByCode(ctx, codeChaoshan)
		if got.Account != "Student01" || got.AccountKey != "student01" || got.Name != "张三" ||
			got.Role != model.RoleStudent || got.EntryKey != "gaoxiao" ||
			got.UniversityID == nil || *got.UniversityID != uni.ID ||
			got.ActivatedAt == nil || got.OpenID != nil || got.Source != "" {
			t.Fatalf("stored %+v", got)
		}
		if !got.ActivatedAt.Equal(e.clk.Now()) {
			t.Errorf("activated at %v, want the clock's %v", got.ActivatedAt, e.clk.Now())
		}
		// Stored as a bcrypt hash, never in plain.
		if strings.Contains(got.PasswordHash, "Secret99") || !strings.HasPrefix(got.PasswordHash, "$2") {
			t.Fatalf("password stored as %q", got.PasswordHash)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("Secret99")); err != nil {
			t.Fatalf("hash does not match the password: %v", err)
		}
	})
}

func TestProductionBcryptCost(t *testing.T) {
	t.Parallel()
	each(t, envOpt{prodCost: true}, func(t *testing.T, e *env) {
		u := e.newUser(t, "costly1", "costly1", "")
		cost, err := bcrypt.Cost([]byte(e.reload(t, u.ID).PasswordHash))
		if err != nil {
			t.Fatal(err)
		}
		if cost < 10 {
			t.Fatalf("default bcrypt cost %d, want >= 10", cost)
		}
	})
}

func TestAccountUniqueIgnoringCase(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "Abc123", "pass123", "")
		for _, acct := range []string{"abc123", "ABC123", "Abc123", " abc123 "} {
			_, err := e.svc.Activate(ctx, newInput(acct, "other123"))
			se := servicetest.WantErr(t, "", err, service.ErrConflict, "")
			if se.Message != "账号已被占用" || se.Fields["account"] != "账号已被占用" {
				t.Fatalf("%q: %+v", acct, se)
			}
		}
		if n := e.userCount(t); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
		// The account logs in with any case.
		if _, err := e.svc.Login(ctx, "ABC123", "pass123", "10.0.0.1"); err != nil {
			t.Fatalf("login in upper case: %v", err)
		}
	})
}

func TestActivateTwiceIsHarmless(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		first := e.newUser(t, "twice01", "twice01", "oid-twice")
		in := newInput("twice01", "twice01")
		in.OpenID = "oid-twice"
		again, err := e.svc.Activate(ctx, in)
		if err != nil {
			t.Fatalf("second activation: %v", err)
		}
		if again.ID != first.ID {
			t.Fatalf("second activation returned user %d, want %d", again.ID, first.ID)
		}
		if n := e.userCount(t); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
		// A different password is not the same activation: the name is taken.
		in.Password, in.Confirm = "twice02", "twice02"
		_, err = e.svc.Activate(ctx, in)
		servicetest.WantErr(t, "", err, service.ErrConflict, "")
		// Nor is the same account from another WeChat.
		in = newInput("twice01", "twice01")
		in.OpenID = "oid-other"
		_, err = e.svc.Activate(ctx, in)
		servicetest.WantErr(t, "", err, service.ErrConflict, "")
		if got := e.reload(t, first.ID); strOrNil(got.OpenID) != "oid-twice" {
			t.Fatalf("binding changed to %s", strOrNil(got.OpenID))
		}
	})
}

func TestConcurrentActivationOfOneAccount(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		const n = 10
		var (
			wg   sync.WaitGroup
			errs = make([]error, n)
			ids  = make([]uint64, n)
		)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := newInput("RaceAcct", fmt.Sprintf("pass%04d", i))
				if i%2 == 1 {
					in.Account = "raceacct" // the same account in another case
				}
				in.OpenID = fmt.Sprintf("oid-race-%d", i)
				<-start
				u, err := e.svc.Activate(ctx, in)
				errs[i], ids[i] = err, u.ID
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			if err == nil {
				ok++
				if ids[i] == 0 {
					t.Errorf("goroutine %d: success without a user", i)
				}
				continue
			}
			var se *service.Error
			if !errors.Is(err, service.ErrConflict) || !errors.As(err, &se) || se.Message != "账号已被占用" {
				t.Errorf("goroutine %d: %v, want ErrConflict 账号已被占用", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d activations succeeded, want exactly 1", ok)
		}
		if c := e.userCount(t); c != 1 {
			t.Fatalf("%d users, want 1", c)
		}
	})
}

func TestBindingIsOneToOne(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		a := e.newUser(t, "alpha01", "alpha01", "oid-1")
		if got, err := e.svc.UserByOpenID(ctx, "oid-1"); err != nil || got.ID != a.ID {
			t.Fatalf("UserByOpenID(oid-1) = %d, %v; want %d", got.ID, err, a.ID)
		}

		// A new account from a bound WeChat is refused: the WeChat stays
		// with its account until that is unbound.
		in := newInput("bravo01", "bravo01")
		in.OpenID = "oid-1"
		_, err := e.svc.Activate(ctx, in)
		wantWeChatBound(t, err, "alpha01")
		if n := e.userCount(t); n != 1 {
			t.Fatalf("%d users after the refused activation, want 1", n)
		}
		if got := e.reload(t, a.ID); strOrNil(got.OpenID) != "oid-1" {
			t.Fatalf("alpha bound to %s, want oid-1", strOrNil(got.OpenID))
		}
		b := e.newUser(t, "bravo01", "bravo01", "oid-b")

		// Old-user activation from another WeChat moves the account's
		// binding: its previous WeChat is released.
		oldIn := account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeOld, Account: "BRAVO01", Password: "bravo01", OpenID: "oid-2", ClientIP: "10.0.0.1"}
		u, err := e.svc.Activate(ctx, oldIn)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != b.ID || strOrNil(u.OpenID) != "oid-2" {
			t.Fatalf("old activation gave user %d bound to %s", u.ID, strOrNil(u.OpenID))
		}
		if _, err := e.svc.UserByOpenID(ctx, "oid-b"); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("oid-b still resolves: %v", err)
		}

		// But a bound WeChat does not log into another account: alpha from
		// bravo's oid-2 is refused (before the password is even checked),
		// by old-user activation, SignIn and Bind alike, and bravo keeps
		// its WeChat.
		oldIn.Account, oldIn.Password = "alpha01", "alpha01"
		_, err = e.svc.Activate(ctx, oldIn)
		wantWeChatBound(t, err, "bravo01")
		oldIn.Password = "wrong99"
		_, err = e.svc.Activate(ctx, oldIn)
		wantWeChatBound(t, err, "bravo01")
		_, err = e.svc.SignIn(ctx, "alpha01", "alpha01", "10.0.0.1", "oid-2")
		wantWeChatBound(t, err, "bravo01")
		wantWeChatBound(t, e.svc.Bind(ctx, a.ID, "oid-2"), "bravo01")
		if got := e.reload(t, b.ID); strOrNil(got.OpenID) != "oid-2" {
			t.Fatalf("bravo bound to %s, want oid-2", strOrNil(got.OpenID))
		}
		if got := e.reload(t, a.ID); strOrNil(got.OpenID) != "oid-1" {
			t.Fatalf("alpha bound to %s, want oid-1", strOrNil(got.OpenID))
		}
		// Re-activating the WeChat's own account is fine.
		oldIn.Account, oldIn.Password = "bravo01", "bravo01"
		if u, err := e.svc.Activate(ctx, oldIn); err != nil || u.ID != b.ID {
			t.Fatalf("bravo again from its own WeChat: %d, %v", u.ID, err)
		}

		// Once bravo unbinds it, alpha may move to oid-2.
		if err := e.svc.Unbind(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		oldIn.Account, oldIn.Password = "alpha01", "alpha01"
		if _, err := e.svc.Activate(ctx, oldIn); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.UserByOpenID(ctx, "oid-2"); err != nil || got.ID != a.ID {
			t.Fatalf("UserByOpenID(oid-2) = %d, %v; want alpha %d", got.ID, err, a.ID)
		}
		var bound int64
		e.db.Conn(ctx).Model(&model.User{}).Where("openid IS NOT NULL").Count(&bound)
		if bound != 1 {
			t.Fatalf("%d bound users, want 1", bound)
		}

		// Unbind, twice.
		if err := e.svc.Unbind(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UserByOpenID(ctx, "oid-2"); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("after unbind: %v, want ErrNotFound", err)
		}
		if _, err := e.svc.UserByOpenID(ctx, ""); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("empty openid: %v, want ErrNotFound", err)
		}
		err = e.svc.Unbind(ctx, a.ID)
		if se := servicetest.WantErr(t, "", err, service.ErrInvalid, ""); se.Message != "当前账号没有绑定微信" {
			t.Fatalf("second unbind: %q", se.Message)
		}

		// SignIn from WeChat binds; without an openid it does not.
		if u, err := e.svc.SignIn(ctx, "alpha01", "alpha01", "10.0.0.2", ""); err != nil || u.OpenID != nil {
			t.Fatalf("SignIn without openid: %+v, %v", u, err)
		}
		u, err = e.svc.SignIn(ctx, "alpha01", "alpha01", "10.0.0.2", "oid-3")
		if err != nil || strOrNil(u.OpenID) != "oid-3" {
			t.Fatalf("SignIn with openid: bound to %s, %v", strOrNil(u.OpenID), err)
		}
		if got, err := e.svc.UserByOpenID(ctx, "oid-3"); err != nil || got.ID != a.ID {
			t.Fatalf("UserByOpenID(oid-3) = %d, %v", got.ID, err)
		}
		// Bind does not take oid-3 from alpha.
		wantWeChatBound(t, e.svc.Bind(ctx, b.ID, "oid-3"), "alpha01")
		if got := e.reload(t, a.ID); strOrNil(got.OpenID) != "oid-3" {
			t.Fatalf("alpha bound to %s after Bind to bravo, want oid-3", strOrNil(got.OpenID))
		}
		servicetest.WantErr(t, "", e.svc.Bind(ctx, b.ID, ""), service.ErrInvalid, "")
	})
}

// wantWeChatBound asserts the refusal to bind a WeChat bound to account.
func wantWeChatBound(t *testing.T, err error, account string) {
	t.Helper()
	se := servicetest.WantErr(t, "", err, service.ErrConflict, "")
	if se.Code != "wechat_bound" || !strings.Contains(se.Message, "该微信已绑定账号 "+account) || !strings.Contains(se.Message, "解除绑定") {
		t.Fatalf("refusal %s %q, want wechat_bound naming %s and how to unbind", se.Code, se.Message, account)
	}
}

func TestActivateOldUser(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		// An imported account without a university must pick one.
		if _, err := e.svc.ImportAccounts(ctx, strings.NewReader("account,password,university_code\nlegacy01,legacy01,"+codeJNU+"\n")); err != nil {
			t.Fatal(err)
		}
		var legacy model.User
		e.db.Conn(ctx).Where("account_key = ?", "legacy01").Take(&legacy)
		e.db.Conn(ctx).Model(&model.User{}).Where("id = ?", legacy.ID).Updates(map[string]any{"university_id": nil, "entry_key": ""})

		in := account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeOld, Account: "legacy01", Password: "legacy01", OpenID: "oid-legacy", ClientIP: "10.0.0.9"}
		_, err := e.svc.Activate(ctx, in)
		if se := servicetest.WantErr(t, "", err, service.ErrInvalid, ""); se.Fields["university"] != "请选择学校" {
			t.Fatalf("fields %v", se.Fields)
		}
		in.UniversityCode = codeUnknown
		_, err = e.svc.Activate(ctx, in)
		servicetest.WantErr(t, "", err, service.ErrInvalid, "")
		if got := e.reload(t, legacy.ID); got.ActivatedAt != nil || got.OpenID != nil {
			t.Fatalf("refused activation changed the user: %+v", got)
		}

		in.UniversityCode = codeBaiyun
		u, err := e.svc.Activate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		uni, _ := e.svc.UniversityByCode(ctx, codeBaiyun)
		if u.ActivatedAt == nil || u.UniversityID == nil || *u.UniversityID != uni.ID || u.EntryKey != "gaoxiao" || strOrNil(u.OpenID) != "oid-legacy" {
			t.Fatalf("activated old user %+v", u)
		}

		// Wrong password: the login error, nothing changes.
		in.Password = "wrong99"
		in.OpenID = "oid-else"
		_, err = e.svc.Activate(ctx, in)
		servicetest.WantErr(t, "", err, service.ErrUnauthorized, "")
		if got := e.reload(t, legacy.ID); strOrNil(got.OpenID) != "oid-legacy" {
			t.Fatalf("binding moved after a wrong password: %s", strOrNil(got.OpenID))
		}
	})
}

// Students of one class activating at the same moment must all succeed.
func TestConcurrentActivationOfDifferentAccounts(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "existing01", "existing01", "oid-m") // something in the openid index
		const n = 10
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := newInput(fmt.Sprintf("classmate%02d", i), "secret01")
				in.OpenID = fmt.Sprintf("oid-n%02d", i)
				<-start
				_, errs[i] = e.svc.Activate(ctx, in)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("classmate %d: %v", i, err)
			}
		}
		if c := e.userCount(t); c != n+1 {
			t.Fatalf("%d users, want %d", c, n+1)
		}
	})
}
