package notify_test

import (
	"context"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// New refuses a missing outbox, public URL or alert kind, instead of
// failing at the first Send of that kind.
func TestNewRejectsMissingDependencies(t *testing.T) {
	outbox, err := alert.NewOutbox(dbtest.SQLite(t), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	box, err := inbox.New(dbtest.SQLite(t), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	all := notify.FromConfig(config.Default().Alerts.Templates, true)
	short := notify.FromConfig(config.Default().Alerts.Templates, true)
	delete(short, alertkind.BookingChanged)
	for name, build := range map[string]func() (*notify.Notifier, error){
		"outbox":     func() (*notify.Notifier, error) { return notify.New(nil, box, all, servicetest.PublicURL) },
		"inbox":      func() (*notify.Notifier, error) { return notify.New(outbox, nil, all, servicetest.PublicURL) },
		"templates":  func() (*notify.Notifier, error) { return notify.New(outbox, box, nil, servicetest.PublicURL) },
		"one kind":   func() (*notify.Notifier, error) { return notify.New(outbox, box, short, servicetest.PublicURL) },
		"public URL": func() (*notify.Notifier, error) { return notify.New(outbox, box, all, "") },
	} {
		if n, err := build(); err == nil || n != nil {
			t.Errorf("New without %s: %v, %v; want an error", name, n, err)
		}
	}
}

// Send stores one row per bound recipient under the kind's key, with our
// fields mapped to the template's keywords; an unconfigured kind sends
// nothing and is listed as such.
func TestSendStoresTheKindsKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		outbox, err := alert.NewOutbox(db, clock.Real{})
		if err != nil {
			t.Fatal(err)
		}
		tpls := notify.FromConfig(config.Default().Alerts.Templates, false)
		tpls[alertkind.Answered] = notify.Template{ID: "TPL_ANSWERED", Fields: alertkind.Answered.DefaultFields()}
		box, err := inbox.New(db, clock.Real{})
		if err != nil {
			t.Fatal(err)
		}
		n, err := notify.New(outbox, box, tpls, servicetest.PublicURL)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Configured(alertkind.Answered) || n.Configured(alertkind.Overdue) {
			t.Fatal("Configured does not follow the template ids")
		}
		if got := n.Unconfigured(); len(got) != len(alertkind.All())-1 || got[0] != "question_new" {
			t.Fatalf("Unconfigured = %v", got)
		}
		to := servicetest.NewUser(t, db, model.RoleStudent, nil, true)
		unbound := servicetest.NewUser(t, db, model.RoleStudent, nil, false)
		ctx := context.Background()
		vals := map[string]string{"title": "考研", "answerer": "王老师", "time": "2026-03-01 10:00"}
		if err := n.Send(ctx, alertkind.Answered, []model.User{to, unbound, to}, "/h5/questions/1", vals); err != nil {
			t.Fatal(err)
		}
		if err := n.Send(ctx, alertkind.Overdue, []model.User{to}, "/h5/questions/1", vals); err != nil {
			t.Fatal(err)
		}
		var rows []model.TemplateMessage
		if err := db.Conn(ctx).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].TemplateKey != "answered" || rows[0].TemplateID != "TPL_ANSWERED" || rows[0].OpenID != servicetest.OpenID(to) {
			t.Fatalf("rows = %+v; want one answered row to the bound user", rows)
		}
		if d := servicetest.AlertData(t, rows[0]); d["thing1"] != "考研" || d["thing2"] != "王老师" || d["time3"] != "2026-03-01 10:00" {
			t.Fatalf("data = %v", d)
		}
	})
}

// The sandbox's stand-in ids name their kind, for the sandbox inbox.
func TestSandboxKind(t *testing.T) {
	tpls := notify.FromConfig(config.Default().Alerts.Templates, true)
	for _, k := range alertkind.All() {
		if got, ok := notify.SandboxKind(tpls[k].ID); !ok || got != k {
			t.Errorf("SandboxKind(%q) = %v, %v; want %v", tpls[k].ID, got, ok, k)
		}
	}
	if _, ok := notify.SandboxKind("TPL_REAL_ID"); ok {
		t.Error("a real template id named a kind")
	}
}
