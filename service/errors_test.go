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
