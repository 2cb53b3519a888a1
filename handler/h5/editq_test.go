package h5_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// 编辑 and 撤回 on the question page: the asker only, until the first
// answer; 撤回 asks on a page of its own first; the withdrawn question is
// off the board, marked 已撤回 in 我的提问, and the cadre is told.
func TestEditAndWithdrawPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		student := s.Member("estu", webtest.CodeSZU, model.RoleStudent)
		classmate := s.Member("emate", webtest.CodeSZU, model.RoleStudent)
		cadre := s.Member("ecad", webtest.CodeSZU, model.RoleCadre)
		phone, mate, cad := s.Phone(student), s.Phone(classmate), s.Phone(cadre)

		qid, _ := askOn(t, phone, url.Values{"title": {"四六级报名入口在哪"}, "body": {"官网打不开"}})
		page := phone.Get("/h5/questions/" + qid + "?notice=asked")
		webtest.WantBody(t, page, `data-clear-draft="ask"`, `id="edit-link"`, `id="withdraw-link"`)
		webtest.WantNoBody(t, page, `id="question-edited"`)
		webtest.WantNoBody(t, mate.Get("/h5/questions/"+qid), `id="edit-link"`, `id="withdraw-link"`, `data-clear-draft`)
		webtest.WantNoBody(t, cad.Get("/h5/questions/"+qid), `id="edit-link"`, `id="withdraw-link"`)
		webtest.WantBody(t, phone.Get("/h5/ask"), `data-draft="ask"`, `id="draft-tip"`)

		// Edit: the form holds the question; errors keep what was typed.
		clk.Advance(time.Minute)
		webtest.WantBody(t, phone.Get("/h5/questions/"+qid+"/edit"), `id="edit-form"`, `value="四六级报名入口在哪"`, "官网打不开")
		r := phone.Post("/h5/questions/"+qid+"/edit", url.Values{"title": {""}, "body": {"新的说明"}})
		webtest.WantBody(t, r, "请填写问题标题", "新的说明")
		r = phone.Post("/h5/questions/"+qid+"/edit", url.Values{"title": {"四六级报名网址"}, "body": {"官网进不去"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=edited")
		webtest.WantBody(t, mate.Get("/h5/questions/"+qid), "四六级报名网址", "官网进不去", `id="question-edited"`, "已编辑")
		// Others are refused.
		r = mate.Post("/h5/questions/"+qid+"/edit", url.Values{"title": {"改掉"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid)
		r = mate.Post("/h5/questions/"+qid+"/withdraw", nil)
		webtest.WantStatus(t, r, http.StatusForbidden)
		webtest.WantBody(t, r, "只有提问者本人可以撤回问题")

		// Withdraw: confirm first.
		confirm := phone.Get("/h5/questions/" + qid + "/withdraw")
		webtest.WantBody(t, confirm, `id="withdraw-confirm"`, "确定撤回这个问题吗？", "四六级报名网址", `id="withdraw-cancel"`)
		r = phone.Post("/h5/questions/"+qid+"/withdraw", nil)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=withdrawn")
		page = phone.Get("/h5/questions/" + qid + "?notice=withdrawn")
		webtest.WantBody(t, page, "问题已撤回", `id="withdrawn"`, "已撤回")
		webtest.WantNoBody(t, page, `id="edit-link"`, `id="hidden-reason"`)
		webtest.WantBody(t, phone.Get("/h5/questions/mine"), "四六级报名网址", "已撤回")
		webtest.WantNoBody(t, mate.Get("/h5/boards/u-"+webtest.CodeSZU), "四六级报名网址")
		webtest.WantStatus(t, mate.Get("/h5/questions/"+qid), http.StatusNotFound)
		// Its pages now lead back to the question.
		webtest.WantRedirect(t, phone.Get("/h5/questions/"+qid+"/edit"), http.StatusSeeOther, "/h5/questions/"+qid)
		s.Deliver()
		if got := webtest.WithTemplate(webtest.Inbox(t, cadre.OpenID), "sandbox-question_withdrawn"); len(got) != 1 {
			t.Fatalf("the cadre got %d withdrawn alerts, want 1", len(got))
		}

		// After an answer: no 编辑, no 撤回.
		answered, _ := askOn(t, phone, url.Values{"title": {"食堂几点关门"}})
		webtest.WantRedirect(t, cad.Post("/h5/questions/"+answered+"/answer", url.Values{"body": {"九点"}}),
			http.StatusSeeOther, "/h5/questions/"+answered+"?notice=answered")
		webtest.WantNoBody(t, phone.Get("/h5/questions/"+answered), `id="edit-link"`, `id="withdraw-link"`)
		r = phone.Post("/h5/questions/"+answered+"/withdraw", nil)
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "问题已有答复，不能再撤回")
	})
}
