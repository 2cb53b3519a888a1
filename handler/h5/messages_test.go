package h5_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/question"
)

// The student whose question was answered sees 1 on the 消息 tile of
// 主页, the answer unread in 我的消息, and tapping it lands on the
// question and clears the badge; 全部标为已读 clears the rest; another
// person cannot open it; older messages are a tap on 更早的消息 away.
func TestMessagePages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		stu := s.Member("xstu", webtest.CodeSZU, model.RoleStudent)
		cad := s.Member("xcad", webtest.CodeSZU, model.RoleCadre)
		phone, other := s.Phone(stu), s.Phone(s.Member("xoth", webtest.CodeSZU, model.RoleStudent))

		webtest.WantBody(t, phone.Get("/h5/home"), `href="/h5/messages" id="nav-messages"`)
		webtest.WantNoBody(t, phone.Get("/h5/home"), `id="message-unread"`)
		webtest.WantBody(t, phone.Get("/h5/messages"), `id="message-empty"`)

		q, err := s.Questions.Ask(ctx, stu.User, question.AskInput{Title: "图书馆周末几点开门", Body: "想周末去自习，请问开放时间？"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Questions.Answer(ctx, s.UserByAccount(cad.User.Account), q.ID, "周六日 8:00-22:00 开放。"); err != nil {
			t.Fatal(err)
		}
		webtest.WantBody(t, phone.Get("/h5/home"), `id="message-unread" aria-label="1 条未读">1</span>`)
		list := phone.Get("/h5/messages")
		webtest.WantBody(t, list, "提问已答复", "「图书馆周末几点开门」由 xcad老师 答复", "未读", `id="read-all"`)
		m := regexp.MustCompile(`href="(/h5/messages/(\d+))"`).FindStringSubmatch(list.Body)
		if m == nil {
			t.Fatalf("no message link:\n%s", list.Body)
		}
		webtest.WantStatus(t, other.Get(m[1]), http.StatusNotFound)
		webtest.WantRedirect(t, phone.Get(m[1]), http.StatusFound, "/h5/questions/"+strconv.FormatUint(q.ID, 10))
		webtest.WantNoBody(t, phone.Get("/h5/home"), `id="message-unread"`)
		webtest.WantBody(t, phone.Get("/h5/messages"), "已读")

		var es []inbox.Entry
		for range inbox.PageSize + 1 {
			es = append(es, inbox.Entry{UserID: stu.User.ID, Kind: alertkind.Notice, Path: "/h5/notices/1", Values: map[string]string{"title": "关于推广的通知"}})
		}
		if err := s.Inbox.Add(ctx, es, nil); err != nil {
			t.Fatal(err)
		}
		webtest.WantBody(t, phone.Get("/h5/home"), `aria-label="21 条未读">21</span>`)
		first := phone.Get("/h5/messages")
		next := regexp.MustCompile(`href="(/h5/messages\?after=\d+)" id="next-page"`).FindStringSubmatch(first.Body)
		if next == nil {
			t.Fatalf("no 更早的消息 link:\n%s", first.Body)
		}
		webtest.WantBody(t, phone.Get(next[1]), "「图书馆周末几点开门」", "「关于推广的通知」")
		webtest.WantStatus(t, phone.Get("/h5/messages?after=abc"), http.StatusBadRequest)
		webtest.WantRedirect(t, phone.Post("/h5/messages/read-all", nil), http.StatusSeeOther, "/h5/messages?notice=allread")
		webtest.WantBody(t, phone.Get("/h5/messages?notice=allread"), "已全部标为已读")
		webtest.WantNoBody(t, phone.Get("/h5/home"), `id="message-unread"`)
	})
}

// A student who refused the account's messages (WeChat answers 43101)
// never gets the template message, but the answer is in 我的消息 all
// the same, with the badge on 主页.
func TestMessagesWhenWeChatRefuses(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		stu := s.Member("rstu", webtest.CodeSZU, model.RoleStudent)
		cad := s.Member("rcad", webtest.CodeSZU, model.RoleCadre)
		phone := s.Phone(stu)
		q, err := s.Questions.Ask(ctx, stu.User, question.AskInput{Title: "奖学金什么时候评", Body: "今年的评定时间？"})
		if err != nil {
			t.Fatal(err)
		}
		s.Deliver() // the cadre's new-question alert
		if _, err := s.Questions.Answer(ctx, s.UserByAccount(cad.User.Account), q.ID, "十月中旬。"); err != nil {
			t.Fatal(err)
		}
		webtest.Fake().FailNext("/cgi-bin/message/template/send", 43101)
		s.Deliver()
		var sent model.TemplateMessage
		if err := db.Conn(ctx).Where("openid = ? AND template_key = ?", stu.OpenID, "answered").Take(&sent).Error; err != nil {
			t.Fatal(err)
		}
		if sent.Status != model.TemplateUndeliverable || sent.LastErrCode != 43101 {
			t.Fatalf("the answered alert is %s (%d), want undeliverable after 43101", sent.Status, sent.LastErrCode)
		}
		webtest.WantBody(t, phone.Get("/h5/home"), `id="message-unread" aria-label="1 条未读">1</span>`)
		webtest.WantBody(t, phone.Get("/h5/messages"), "提问已答复", "「奖学金什么时候评」由 rcad老师 答复")
	})
}
