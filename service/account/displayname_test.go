package account_test

import (
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// A display name is chosen at activation (optional: 某某同学 otherwise)
// and changed later; one that is too long, looks like a phone number or
// has a sensitive word is refused at the field with a Chinese message,
// and nothing is stored.
func TestDisplayNames(t *testing.T) {
	words := question.ParseWords(config.DefaultSensitiveWords)
	each(t, envOpt{opts: account.Options{Words: words}}, func(t *testing.T, e *env) {
		plain := e.newUser(t, "plain001", "secret123", "")
		if got := plain.DisplayName(); got != model.DefaultDisplayName {
			t.Fatalf("no display name chosen: %q, want %s", got, model.DefaultDisplayName)
		}
		in := newInput("named001", "secret123")
		in.DisplayName = "  小 明\t"
		u, err := e.svc.Activate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.reload(t, u.ID).DisplayName(); got != "小 明" {
			t.Fatalf("display name stored as %q", got)
		}

		bad := map[string]string{
			strings.Repeat("长", account.MaxDisplayName+1): "不能超过 20 个字",
			"小明13800138000":                               "手机号",
			"QQ 1234 5678":                                "手机号",
			"代 考 专家":                                      "不适宜",
			model.ClosedName:                              "换一个",
		}
		for name, msg := range bad {
			in := newInput("refused1", "secret123")
			in.DisplayName = name
			_, err := e.svc.Activate(ctx, in)
			servicetest.WantFieldError(t, "activate with "+name, err, "display_name", msg)
			_, err = e.svc.SetDisplayName(ctx, u, name)
			servicetest.WantErr(t, "set "+name, err, service.ErrInvalid, "invalid_display_name")
			servicetest.WantFieldError(t, "set "+name, err, "display_name", msg)
		}
		if n := e.userCount(t); n != 2 {
			t.Fatalf("%d accounts after refused activations, want 2", n)
		}
		if got := e.reload(t, u.ID).DisplayName(); got != "小 明" {
			t.Fatalf("a refused change stored %q", got)
		}

		// Exactly 20 characters is allowed; an empty name is the default again.
		twenty := strings.Repeat("名", account.MaxDisplayName)
		if got, err := e.svc.SetDisplayName(ctx, u, twenty); err != nil || got.DisplayName() != twenty {
			t.Fatalf("20 characters: %q, %v", got.DisplayName(), err)
		}
		if got, err := e.svc.SetDisplayName(ctx, u, "   "); err != nil || got.DisplayName() != model.DefaultDisplayName {
			t.Fatalf("blank: %q, %v", got.DisplayName(), err)
		}

		// An old account logging in from a new WeChat may choose one too.
		old := newInput("plain001", "secret123")
		old.Mode, old.DisplayName, old.OpenID = account.ModeOld, "阿平", "oid-plain"
		if got, err := e.svc.Activate(ctx, old); err != nil || got.DisplayName() != "阿平" {
			t.Fatalf("old account: %q, %v", got.DisplayName(), err)
		}
	})
}

// Staff are named by the real name their appointment recorded, students
// by their display name, and a closed account as 已注销用户 whoever it was.
func TestPublicName(t *testing.T) {
	stu := model.User{Role: model.RoleStudent, Name: "王小明", Nickname: "小明"}
	cadre := model.User{Role: model.RoleCadre, Name: "李老师", Nickname: "李"}
	if stu.PublicName() != "小明" || cadre.PublicName() != "李老师" {
		t.Fatalf("student %q, cadre %q", stu.PublicName(), cadre.PublicName())
	}
	bare := model.User{Role: model.RoleCadre}
	if bare.PublicName() != "团学干部" {
		t.Fatalf("a cadre without a name is %q", bare.PublicName())
	}
	now := startTime()
	stu.ClosedAt, cadre.ClosedAt = &now, &now
	if stu.PublicName() != model.ClosedName || cadre.PublicName() != model.ClosedName {
		t.Fatalf("closed: %q, %q", stu.PublicName(), cadre.PublicName())
	}
}
