package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

func TestAPIEditAndWithdraw(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		stu := s.Account("qeStudent01", webtest.CodeSZU, "oQAEDITSTUDENT000000000001", model.RoleStudent)
		peer := s.Account("qePeer00001", webtest.CodeSZU, "oQAEDITPEER000000000000001", model.RoleStudent)
		cad := s.Account("qeCadre0001", webtest.CodeSZU, "oQAEDITCADRE00000000000001", model.RoleCadre)
		student, peerC, cadreC := s.SignIn(stu), s.SignIn(peer), s.SignIn(cad)

		var q qaQuestion
		r := student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "图书馆周末几点开门", "body": "周六"})
		webtest.WantData(t, r, http.StatusCreated, &q)

		var d struct {
			qaDetail
			CanEdit bool `json:"can_edit"`
			Edited  bool `json:"edited"`
		}
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if !d.CanEdit || d.Edited {
			t.Fatalf("before editing: %+v", d)
		}

		clk.Advance(time.Minute)
		// Edit: the asker only, with the limits of asking.
		var e struct {
			qaQuestion
			Edited bool `json:"edited"`
		}
		r = student.API(http.MethodPut, qaPath(q.ID, ""), map[string]any{"title": "图书馆周日几点开门", "body": "周日"})
		webtest.WantData(t, r, http.StatusOK, &e)
		if e.Title != "图书馆周日几点开门" || e.Body != "周日" || e.Status != model.QuestionOpen {
			t.Fatalf("edited %+v", e)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodPut, qaPath(q.ID, ""), map[string]any{"title": "改"}), http.StatusForbidden, "not_asker", "")
		webtest.WantAPIError(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/withdraw"), nil), http.StatusForbidden, "not_asker", "")
		webtest.WantAPIError(t, student.API(http.MethodPut, qaPath(q.ID, ""), map[string]any{"title": ""}), http.StatusBadRequest, "title_required", "title")
		webtest.WantData(t, peerC.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.CanEdit || !d.Edited || d.Title != "图书馆周日几点开门" {
			t.Fatalf("peer's view after the edit: %+v", d)
		}

		// A sensitive word sends it to review.
		r = student.API(http.MethodPut, qaPath(q.ID, ""), map[string]any{"title": "图书馆周日几点开门", "body": "法轮功"})
		webtest.WantData(t, r, http.StatusOK, &e)
		if e.Status != model.QuestionReview || e.Notice == "" {
			t.Fatalf("sensitive edit %+v", e)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusNotFound, "question_not_found", "")

		// Withdraw a published question: the cadre is told.
		var q2 qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "食堂几点关门"}), http.StatusCreated, &q2)
		var w struct {
			qaQuestion
			Withdrawn bool `json:"withdrawn"`
		}
		webtest.WantData(t, student.API(http.MethodPost, qaPath(q2.ID, "/withdraw"), nil), http.StatusOK, &w)
		if !w.Withdrawn || w.Status != model.QuestionHidden || w.StatusName != "已撤回" {
			t.Fatalf("withdrawn %+v", w)
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q2.ID, "/withdraw"), nil), http.StatusConflict, "question_hidden", "")
		qaDeliver(s)
		var got []string
		n := 0
		for _, m := range qaTemplatesTo(s, webtest.OpenIDOf(cad)) {
			got = append(got, m.TemplateID)
			if m.TemplateID == "sandbox-question_withdrawn" && m.URL == s.PublicURL+"/h5/oauth/start?next=%2Fh5%2Fboards%2Fu-"+webtest.CodeSZU {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("cadre got %v, want one question_withdrawn for the question", got)
		}
		var mine []qaQuestion
		webtest.WantData(t, student.API(http.MethodGet, "/api/v1/questions/mine", nil), http.StatusOK, &mine)
		if len(mine) != 2 || mine[0].ID != q2.ID || mine[0].StatusName != "已撤回" {
			t.Fatalf("mine %+v", mine)
		}

		// After an answer: neither.
		var q3 qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "宿舍几点熄灯"}), http.StatusCreated, &q3)
		webtest.WantStatus(t, cadreC.API(http.MethodPost, qaPath(q3.ID, "/answers"), map[string]any{"body": "十一点"}), http.StatusCreated)
		webtest.WantAPIError(t, student.API(http.MethodPut, qaPath(q3.ID, ""), map[string]any{"title": "改"}), http.StatusConflict, "already_answered", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q3.ID, "/withdraw"), nil), http.StatusConflict, "already_answered", "")
	})
}
