package privacy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/privacy"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

var ctx = context.Background()

type env struct {
	db  *model.DB
	clk *clock.Fake
	svc *privacy.Service
	uni uint64
	// redis: the store is Redis, whose keys expire in real time, not on clk.
	redis bool
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		clk := clock.NewFake(time.Date(2026, 5, 6, 10, 0, 0, 0, clock.Beijing))
		db := b.DB()
		svc, err := privacy.New(db, b.KVOn(clk), clk, servicetest.DiscardLog())
		if err != nil {
			t.Fatal(err)
		}
		var uni model.University
		if err := db.Conn(ctx).Order("id").Take(&uni).Error; err != nil {
			t.Fatal(err)
		}
		fn(t, &env{db: db, clk: clk, svc: svc, uni: uni.ID, redis: b.Redis()})
	})
}

func (e *env) create(t *testing.T, v any) {
	t.Helper()
	if err := e.db.Conn(ctx).Create(v).Error; err != nil {
		t.Fatal(err)
	}
}

func (e *env) count(t *testing.T, v any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.db.Conn(ctx).Model(v).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewRejectsNil(t *testing.T) {
	if s, err := privacy.New(nil, nil, nil, nil); err == nil || s != nil {
		t.Fatalf("New(nil…) = %v, %v", s, err)
	}
}

// 注销: the posts stay (named 已注销用户), the personal fields, the
// binding, the contact phone and 我的消息 go, the roster entry stays but
// is unlinked, and staff are refused until they hand over.
func TestClose(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		stu := servicetest.NewNamedUser(t, e.db, model.RoleStudent, &e.uni, true, "王小明")
		cadre := servicetest.NewNamedUser(t, e.db, model.RoleCadre, &e.uni, true, "李老师")
		openid := servicetest.OpenID(stu)
		now := e.clk.Now().UTC()
		q := model.Question{BoardID: 1, UniversityID: e.uni, AskerID: stu.ID, Title: "补考在哪报名", Body: "正文", Status: model.QuestionOpen,
			DueAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now}
		e.create(t, &q)
		e.create(t, &model.QuestionMetoo{QuestionID: q.ID, UserID: stu.ID, CreatedAt: now})
		e.create(t, &model.Booking{StationID: 1, UniversityID: e.uni, StudentID: stu.ID, Service: "心理咨询", ContactPhone: "13912345678",
			Status: model.BookingSubmitted, DueAt: now, RemindAt: now, CreatedAt: now, UpdatedAt: now})
		e.create(t, &model.Message{UserID: stu.ID, Kind: "answered", Title: "问题有新答复", Fields: "{}", CreatedAt: now})
		e.create(t, &model.Interaction{OpenID: openid, MsgType: "text", Content: "你好", SentAt: now, CreatedAt: now})
		e.create(t, &model.RosterEntry{UniversityID: e.uni, Category: "student", Position: "委员", RealName: "王小明", Phone: "13912345678",
			Status: "active", UserID: &stu.ID, CreatedAt: now, UpdatedAt: now})

		err := e.svc.Close(ctx, stu, "确认")
		servicetest.WantFieldError(t, "without 注销", err, "confirm", "注销")
		err = e.svc.Close(ctx, cadre, "注销")
		se := servicetest.WantErr(t, "cadre", err, service.ErrConflict, "still_staff")
		if !strings.Contains(se.Message, "团学干部") {
			t.Fatalf("cadre refused with %q", se.Message)
		}
		if u := servicetest.Reload(t, e.db, cadre.ID); u.ClosedAt != nil || u.Name != "李老师" {
			t.Fatalf("refused cadre changed: %+v", u)
		}

		if err := e.svc.Close(ctx, stu, "注销"); err != nil {
			t.Fatal(err)
		}
		u := servicetest.Reload(t, e.db, stu.ID)
		if u.ClosedAt == nil || u.Name != "" || u.Nickname != "" || u.PasswordHash != "" || u.PasswordChangedAt == nil ||
			strings.Contains(u.Account, "tuser") || u.UniversityID == nil || *u.UniversityID != e.uni || u.CreatedAt.Sub(stu.CreatedAt).Abs() > time.Second {
			t.Fatalf("closed row %+v", u)
		}
		if u.OpenID == nil || *u.OpenID == openid || !strings.HasPrefix(*u.OpenID, "closed-") {
			t.Fatalf("openid %v: want a pseudonym", u.OpenID)
		}
		if u.DisplayName() != model.ClosedName || u.PublicName() != model.ClosedName {
			t.Fatalf("named %q / %q", u.DisplayName(), u.PublicName())
		}
		if n := e.count(t, &model.Question{}, "asker_id = ?", stu.ID); n != 1 {
			t.Fatalf("%d questions kept, want 1", n)
		}
		if n := e.count(t, &model.QuestionMetoo{}, "user_id = ?", stu.ID); n != 1 {
			t.Fatalf("同问 kept %d, want 1 (the count is shown)", n)
		}
		if n := e.count(t, &model.Booking{}, "student_id = ? AND contact_phone = ''", stu.ID); n != 1 {
			t.Fatal("the booking is gone or keeps the contact phone")
		}
		if n := e.count(t, &model.Message{}, "user_id = ?", stu.ID); n != 0 {
			t.Fatalf("%d messages kept", n)
		}
		if n := e.count(t, &model.Interaction{}, "openid = ?", openid); n != 0 {
			t.Fatalf("%d interactions keep the openid", n)
		}
		if n := e.count(t, &model.Interaction{}, "openid = ?", *u.OpenID); n != 1 {
			t.Fatalf("%d interactions under the pseudonym, want 1 (activity still counts)", n)
		}
		if n := e.count(t, &model.RosterEntry{}, "real_name = ? AND user_id IS NULL", "王小明"); n != 1 {
			t.Fatal("the roster entry is gone or still linked")
		}

		// Alerts that would still go to the account (an answer to its
		// question) neither reach the pseudonym nor refill 我的消息.
		n := servicetest.Notifier(t, e.db, e.clk)
		if err := n.Send(ctx, alertkind.Answered, []model.User{u}, "/h5/questions/1", map[string]string{"title": "补考在哪报名"}); err != nil {
			t.Fatal(err)
		}
		if ms := servicetest.Alerts(t, e.db, alertkind.Answered); len(ms) != 0 {
			t.Fatalf("%d alerts queued for a closed account", len(ms))
		}
		if n := e.count(t, &model.Message{}, "user_id = ?", stu.ID); n != 0 {
			t.Fatalf("%d messages written for a closed account", n)
		}

		err = e.svc.Close(ctx, stu, "注销")
		servicetest.WantErr(t, "twice", err, service.ErrConflict, "account_closed")
		_, err = e.svc.BeginExport(ctx, u)
		servicetest.WantErr(t, "export after closing", err, service.ErrForbidden, "account_closed")
	})
}

// 导出我的数据: every row of one's own, across pages, in Beijing time,
// nobody else's; once a minute.
func TestExport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		stu := servicetest.NewNamedUser(t, e.db, model.RoleStudent, &e.uni, true, "王小明")
		other := servicetest.NewUser(t, e.db, model.RoleStudent, &e.uni, true)
		now := e.clk.Now().UTC()
		const n = 1234 // more than two pages
		msgs := make([]model.Message, n)
		for i := range msgs {
			msgs[i] = model.Message{UserID: stu.ID, Kind: "answered", Title: fmt.Sprintf("消息%04d", i), Fields: `{"title":"x"}`, CreatedAt: now}
		}
		if err := e.db.Conn(ctx).CreateInBatches(msgs, 200).Error; err != nil {
			t.Fatal(err)
		}
		e.create(t, &model.Message{UserID: other.ID, Kind: "answered", Title: "别人的消息", Fields: "{}", CreatedAt: now})
		q := model.Question{BoardID: 1, UniversityID: e.uni, AskerID: stu.ID, Title: "补考在哪报名", Body: "正文", Status: model.QuestionOpen,
			DueAt: now, CreatedAt: now, UpdatedAt: now}
		e.create(t, &q)

		x, err := e.svc.BeginExport(ctx, stu)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(x.Filename, "-20260506.zip") {
			t.Fatalf("filename %q", x.Filename)
		}
		var buf bytes.Buffer
		if err := x.WriteTo(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]map[string]any{}
		for _, f := range z.File {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			var rows []map[string]any
			if err := json.Unmarshal(b, &rows); err != nil {
				t.Fatalf("%s: %v\n%s", f.Name, err, b)
			}
			files[f.Name] = rows
		}
		if got := len(files["messages.json"]); got != n {
			t.Fatalf("messages.json has %d rows, want %d", got, n)
		}
		for i, m := range files["messages.json"] {
			if m["title"] != fmt.Sprintf("消息%04d", i) {
				t.Fatalf("message %d is %v: rows lost or repeated across pages", i, m["title"])
			}
		}
		if qs := files["questions.json"]; len(qs) != 1 || qs[0]["title"] != "补考在哪报名" || qs[0]["created_at"] != "2026-05-06 10:00:00" {
			t.Fatalf("questions.json %v", qs)
		}
		acct := files["account.json"]
		if len(acct) != 1 || acct[0]["name"] != "王小明" || acct[0]["display_name"] != "王小明" ||
			strings.Contains(fmt.Sprint(acct[0]), servicetest.OpenID(stu)) {
			t.Fatalf("account.json %v", acct)
		}

		_, err = e.svc.BeginExport(ctx, stu)
		servicetest.WantErr(t, "again at once", err, service.ErrTooMany, "export_too_often")
		if _, err := e.svc.BeginExport(ctx, other); err != nil {
			t.Fatalf("another person waits for this one: %v", err)
		}
		if e.redis {
			return // the key expires in a real minute
		}
		e.clk.Advance(privacy.ExportInterval + time.Second)
		if _, err := e.svc.BeginExport(ctx, stu); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
	})
}
