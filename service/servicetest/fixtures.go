package servicetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/workday"
)

// PublicURL is the origin the fixtures' alerts link to.
const PublicURL = "https://yv.example.org"

var userSeq atomic.Int64

// NewUser stores an account of role at university uni (nil for none),
// bound to a WeChat openid when bound. Accounts and openids are unique
// within the test binary.
func NewUser(t testing.TB, db *model.DB, role string, uni *uint64, bound bool) model.User {
	t.Helper()
	return NewNamedUser(t, db, role, uni, bound, "")
}

// NewNamedUser is NewUser with a name: the real name (users.name) staff
// are shown by, and the display name students are shown by.
func NewNamedUser(t testing.TB, db *model.DB, role string, uni *uint64, bound bool, name string) model.User {
	t.Helper()
	n := userSeq.Add(1)
	now := time.Now().UTC()
	acct := fmt.Sprintf("tuser%06d", n)
	u := model.User{Account: acct, AccountKey: acct, PasswordHash: "x",
		Name: name, Nickname: name, Role: role, UniversityID: uni, CreatedAt: now, UpdatedAt: now}
	if bound {
		oid := fmt.Sprintf("oServiceTest%016d", n)
		u.OpenID = &oid
	}
	if err := db.Conn(context.Background()).Create(&u).Error; err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// Reload reads user id as stored now.
func Reload(t testing.TB, db *model.DB, id uint64) model.User {
	t.Helper()
	var u model.User
	if err := db.Conn(context.Background()).Take(&u, id).Error; err != nil {
		t.Fatalf("reload user %d: %v", id, err)
	}
	return u
}

// OpenID is u's openid, "" when unbound.
func OpenID(u model.User) string {
	if u.OpenID == nil {
		return ""
	}
	return *u.OpenID
}

// DiscardLog is a logger that writes nowhere.
func DiscardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Notifier enqueues into db's outbox on clk with every template of the
// default configuration, each with the sandbox's stand-in id (so every
// alert is stored), linking to PublicURL.
func Notifier(t testing.TB, db *model.DB, clk clock.Clock) *notify.Notifier {
	t.Helper()
	outbox, err := alert.NewOutbox(db, clk)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(outbox, Inbox(t, db, clk), notify.FromConfig(config.Default().Alerts.Templates, true), PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Inbox is 我的消息 on db and clk, for a notifier.
func Inbox(t testing.TB, db *model.DB, clk clock.Clock) *inbox.Inbox {
	t.Helper()
	box, err := inbox.New(db, clk)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// Alerts are the outbox rows of alert kind k, oldest first.
func Alerts(t testing.TB, db *model.DB, k alertkind.Kind) []model.TemplateMessage {
	t.Helper()
	var ms []model.TemplateMessage
	if err := db.Conn(context.Background()).Where("template_key = ?", k.Key()).Order("id").Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	return ms
}

// AlertData decodes an outbox row's template data.
func AlertData(t testing.TB, m model.TemplateMessage) map[string]string {
	t.Helper()
	var d map[string]string
	if err := json.Unmarshal([]byte(m.Data), &d); err != nil {
		t.Fatalf("template data %q: %v", m.Data, err)
	}
	return d
}

// WantRecipients checks that ms went exactly once to each of want (twice
// to one listed twice) and to nobody else.
func WantRecipients(t testing.TB, what string, ms []model.TemplateMessage, want ...model.User) {
	t.Helper()
	var got, exp []string
	for _, m := range ms {
		got = append(got, m.OpenID)
	}
	for _, u := range want {
		exp = append(exp, OpenID(u))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Fatalf("%s went to %v, want %v", what, got, exp)
	}
}

// Code is the machine code of a *service.Error in err, "" when none.
func Code(err error) string {
	var se *service.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// WantErr checks that err is a rule violation a user is shown: of kind
// (service.ErrInvalid …), a *service.Error with a Chinese message, and
// with code unless code is "". It returns the error for further checks.
func WantErr(t testing.TB, what string, err, kind error, code string) *service.Error {
	t.Helper()
	var se *service.Error
	switch {
	case !errors.Is(err, kind):
		t.Fatalf("%s: err = %v, want %v", what, err, kind)
	case !errors.As(err, &se) || !HasHan(se.Message):
		t.Fatalf("%s: err = %v, want a service.Error with a Chinese message", what, err)
	case code != "" && se.Code != code:
		t.Fatalf("%s: err = %v, want code %q", what, err, code)
	}
	return se
}

// HasHan reports whether s has a Chinese character.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// WantFieldError checks that err refuses input on form field field with
// a Chinese message, on the field and as the error's, containing each of
// parts (the field's name, its limit …).
func WantFieldError(t testing.TB, what string, err error, field string, parts ...string) {
	t.Helper()
	se := WantErr(t, what, err, service.ErrInvalid, "")
	msg := se.Fields[field]
	if msg == "" {
		t.Fatalf("%s: %v has no message on field %q (fields %v)", what, err, field, se.Fields)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) || !strings.Contains(se.Message, p) {
			t.Fatalf("%s: message %q / field message %q does not say %q", what, se.Message, msg, p)
		}
	}
}

// EnvProvinceDSN names the database at province volume (cmd/scalebench
// load) that the province benchmarks read.
const EnvProvinceDSN = "YV_BENCH_PROVINCE_DSN"

// ProvinceDB opens the database EnvProvinceDSN names, closed when b ends;
// without it the benchmark is skipped.
func ProvinceDB(b *testing.B) *model.DB {
	b.Helper()
	dsn := os.Getenv(EnvProvinceDSN)
	if dsn == "" {
		b.Skip(EnvProvinceDSN + " not set")
	}
	db, err := model.OpenMySQL(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// Workdays is the working-day calendar of the built-in schedules.
func Workdays(t testing.TB) *workday.Calendar {
	t.Helper()
	c, err := workday.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
