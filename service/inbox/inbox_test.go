package inbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

func messagesOf(t *testing.T, db *model.DB, u model.User) []model.Message {
	t.Helper()
	var ms []model.Message
	if err := db.Conn(context.Background()).Where("user_id = ?", u.ID).Order("id").Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	return ms
}

// Every Send lists the alert once for each recipient account: the one
// bound to WeChat, the one without WeChat, and for a kind whose template
// is not configured (nothing goes to WeChat then), each with the kind's
// name, a readable line and the page it opens.
func TestSendListsEveryAlert(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		db := b.DB()
		clk := clock.NewFake(t0)
		outbox, err := alert.NewOutbox(db, clk)
		if err != nil {
			t.Fatal(err)
		}
		box, err := inbox.New(db, clk)
		if err != nil {
			t.Fatal(err)
		}
		tpls := notify.FromConfig(config.Default().Alerts.Templates, false)
		tpls[alertkind.Answered] = notify.Template{ID: "TPL_ANSWERED", Fields: alertkind.Answered.DefaultFields()}
		n, err := notify.New(outbox, box, tpls, servicetest.PublicURL)
		if err != nil {
			t.Fatal(err)
		}
		bound := servicetest.NewUser(t, db, model.RoleStudent, nil, true)
		unbound := servicetest.NewUser(t, db, model.RoleStudent, nil, false)
		ctx := context.Background()
		vals := map[string]string{"title": "图书馆周末几点开门", "answerer": "王老师", "time": "2026-12-07 10:00"}
		if err := n.Send(ctx, alertkind.Answered, []model.User{bound, unbound, bound}, "/h5/questions/7", vals); err != nil {
			t.Fatal(err)
		}
		// Not configured: no template message, but listed.
		if err := n.Send(ctx, alertkind.Overdue, []model.User{bound, unbound},
			"/h5/questions/8", map[string]string{"title": "宿舍报修", "university": "深圳大学", "due": "2026-12-08 10:00"}); err != nil {
			t.Fatal(err)
		}
		if got := len(servicetest.Alerts(t, db, alertkind.Answered)); got != 1 {
			t.Fatalf("%d answered alerts queued, want 1 (the bound user, once)", got)
		}
		if got := len(servicetest.Alerts(t, db, alertkind.Overdue)); got != 0 {
			t.Fatalf("%d overdue alerts queued without a template", got)
		}
		for _, u := range []model.User{bound, unbound} {
			ms := messagesOf(t, db, u)
			if len(ms) != 2 {
				t.Fatalf("user %d has %d messages, want 2: %+v", u.ID, len(ms), ms)
			}
			a, o := ms[0], ms[1]
			if a.Kind != "answered" || a.Title != "提问已答复" || a.Summary != "「图书馆周末几点开门」由 王老师 答复" ||
				a.Path != "/h5/questions/7" || a.ReadAt != nil || !a.CreatedAt.Equal(t0) {
				t.Errorf("answered message = %+v", a)
			}
			if o.Kind != "overdue" || o.Title != "超时未答复" || o.Summary != "「宿舍报修」（深圳大学）已于 2026-12-08 10:00 超时未答复" {
				t.Errorf("overdue message = %+v", o)
			}
			if !strings.Contains(a.Fields, "王老师") {
				t.Errorf("fields = %s", a.Fields)
			}
		}
	})
}

// A failure to queue the alerts takes the messages back with them, and
// the other way round: both are one transaction.
func TestAddIsOneTransaction(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		db := b.DB()
		box, err := inbox.New(db, clock.NewFake(t0))
		if err != nil {
			t.Fatal(err)
		}
		u := servicetest.NewUser(t, db, model.RoleStudent, nil, false)
		boom := errors.New("outbox down")
		err = box.Add(context.Background(), []inbox.Entry{{UserID: u.ID, Kind: alertkind.Notice, Path: "/h5/notices/1",
			Values: map[string]string{"title": "通知"}}}, func(context.Context) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Add = %v, want the outbox's error", err)
		}
		if ms := messagesOf(t, db, u); len(ms) != 0 {
			t.Fatalf("messages kept after the outbox failed: %+v", ms)
		}
	})
}

// A person's list is theirs, newest first, a page at a time; opening
// marks read, 全部标为已读 all; another's message does not exist for them.
func TestListReadAndScope(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		db := b.DB()
		clk := clock.NewFake(t0)
		box, err := inbox.New(db, clk)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		me := servicetest.NewUser(t, db, model.RoleStudent, nil, true)
		other := servicetest.NewUser(t, db, model.RoleCadre, nil, false)
		const total = 2*inbox.PageSize + 5
		var es []inbox.Entry
		for i := range total {
			es = append(es, inbox.Entry{UserID: me.ID, Kind: alertkind.Notice, Path: "/h5/notices/1",
				Values: map[string]string{"title": "第" + string(rune('A'+i%26)) + "号通知"}})
		}
		if err := box.Add(ctx, es, nil); err != nil {
			t.Fatal(err)
		}
		if err := box.Add(ctx, []inbox.Entry{{UserID: other.ID, Kind: alertkind.Notice, Path: "/h5/notices/2"}}, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := box.Unread(ctx, me); err != nil || n != total {
			t.Fatalf("Unread = %d, %v; want %d", n, err, total)
		}
		var seen []uint64
		cursor := ""
		for page := 0; ; page++ {
			p, err := box.List(ctx, me, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				if m.UserID != me.ID {
					t.Fatalf("someone else's message listed: %+v", m)
				}
				if len(seen) > 0 && m.ID >= seen[len(seen)-1] {
					t.Fatalf("not newest first: %d after %d", m.ID, seen[len(seen)-1])
				}
				seen = append(seen, m.ID)
			}
			if p.Next == "" {
				if page != 2 || len(p.Messages) != 5 {
					t.Fatalf("last page %d has %d messages", page, len(p.Messages))
				}
				break
			}
			if len(p.Messages) != inbox.PageSize {
				t.Fatalf("page %d has %d messages", page, len(p.Messages))
			}
			cursor = p.Next
		}
		if len(seen) != total {
			t.Fatalf("listed %d messages, want %d", len(seen), total)
		}
		_, err = box.List(ctx, me, "x1")
		servicetest.WantErr(t, "bad cursor", err, service.ErrInvalid, "bad_cursor")

		theirs, err := box.List(ctx, other, "")
		if err != nil || len(theirs.Messages) != 1 {
			t.Fatalf("other's list: %+v, %v", theirs, err)
		}
		_, err = box.Open(ctx, me, theirs.Messages[0].ID)
		servicetest.WantErr(t, "open another's message", err, service.ErrNotFound, "message_not_found")

		clk.Advance(time.Minute)
		m, err := box.Open(ctx, me, seen[3])
		if err != nil || m.ReadAt == nil || !m.ReadAt.Equal(t0.Add(time.Minute)) || m.Path != "/h5/notices/1" {
			t.Fatalf("Open = %+v, %v", m, err)
		}
		clk.Advance(time.Minute)
		if again, err := box.Open(ctx, me, seen[3]); err != nil || !again.ReadAt.Equal(*m.ReadAt) {
			t.Fatalf("second Open = %+v, %v; want the first read time kept", again, err)
		}
		if n, _ := box.Unread(ctx, me); n != total-1 {
			t.Fatalf("Unread after one opened = %d", n)
		}
		if n, err := box.ReadAll(ctx, me); err != nil || n != total-1 {
			t.Fatalf("ReadAll = %d, %v; want %d", n, err, total-1)
		}
		if n, _ := box.Unread(ctx, me); n != 0 {
			t.Fatalf("Unread after ReadAll = %d", n)
		}
		if n, _ := box.Unread(ctx, other); n != 1 {
			t.Fatalf("ReadAll touched another's messages: their unread = %d", n)
		}
	})
}

// Every kind reads as a sentence with its values (but the time it was
// sent, which the list shows anyway), and an empty value leaves no empty
// brackets behind.
func TestSummary(t *testing.T) {
	for _, k := range alertkind.All() {
		vals := map[string]string{}
		for f := range k.DefaultFields() {
			vals[f] = "值" + f
		}
		s := inbox.Summary(k, vals)
		if s == "" || strings.Contains(s, "{") {
			t.Errorf("%s: summary %q", k, s)
		}
		for f := range k.DefaultFields() {
			if f == "time" && k != alertkind.Appointment {
				continue // when it was sent: the message's own time
			}
			if !strings.Contains(s, "值"+f) {
				t.Errorf("%s: summary %q lacks field %s", k, s, f)
			}
		}
	}
	if got := inbox.Summary(alertkind.Moderated, map[string]string{"title": "求助\n换宿舍", "result": "已隐藏"}); got != "「求助 换宿舍」已隐藏" {
		t.Errorf("Summary without reason = %q", got)
	}
}
