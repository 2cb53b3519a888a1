package service_test

import (
	"errors"
	"testing"

	"github.com/gdyouth/youthvoice/service"
)

func TestWrap(t *testing.T) {
	dbDown := errors.New("dial tcp: connection refused")
	rule := service.Conflict("slot_full", "该时段已约满，请选择其他时段", nil)
	if service.Wrap("预约", nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if got := service.Wrap("预约", rule); !errors.Is(got, rule) || got.Error() != rule.Error() {
		t.Fatalf("a rule violation must pass unchanged, got %v", got)
	}
	got := service.Wrap("预约", dbDown)
	if !errors.Is(got, dbDown) || got.Error() != "预约: dial tcp: connection refused" {
		t.Fatalf("an unexpected error must be wrapped with what was done, got %v", got)
	}
	var se *service.Error
	if errors.As(got, &se) {
		t.Fatal("a wrapped database error must not look like a rule violation")
	}
}

// A form with several bad fields gets every problem at once: each field's
// message, and one message listing them all in the form's order.
func TestInvalidFieldsListsEveryProblem(t *testing.T) {
	if err := service.InvalidFields("invalid_input", nil); err != nil {
		t.Fatalf("no problem: %v", err)
	}
	one := service.InvalidFields("bad_phone", map[string]string{"phone": "请填写 11 位手机号"})
	var se *service.Error
	if !errors.As(one, &se) || se.Message != "请填写 11 位手机号" || se.Code != "bad_phone" || !errors.Is(one, service.ErrInvalid) {
		t.Fatalf("one problem: %#v", one)
	}
	fields := map[string]string{"university": "请选择学校", "account": "请输入账号", "zeta": "取值无效"}
	all := service.InvalidFields("invalid_input", fields, "account", "password", "university")
	if !errors.As(all, &se) || se.Message != "有 3 处需要修改：请输入账号；请选择学校；取值无效" || len(se.Fields) != 3 {
		t.Fatalf("three problems: %#v", all)
	}
}
