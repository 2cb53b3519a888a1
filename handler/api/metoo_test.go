package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// 同问 and 有用 through the API: set and withdrawn idempotently, shown in
// the question and the board list (sorted by 同问), refused to the asker
// and the author; those who said 同问 are alerted of the answer.
func TestAPIMetooAndHelpful(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaMeStu0001", webtest.CodeSZU, "oQAMETOOSTUDENT00000000001", model.RoleStudent)
		peer := s.Account("qaMePeer001", webtest.CodeSZU, "oQAMETOOPEER00000000000001", model.RoleStudent)
		cad := s.Account("qaMeCadre01", webtest.CodeSZU, "oQAMETOOCADRE0000000000001", model.RoleCadre)
		student, peerC, cadreC := s.SignIn(stu), s.SignIn(peer), s.SignIn(cad)

		var q, other qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "体测什么时候补测"}), http.StatusCreated, &q)
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "宿舍可以用电饭煲吗"}), http.StatusCreated, &other)

		type metoo struct {
			Count int  `json:"metoo_count"`
			On    bool `json:"metoo"`
		}
		var m metoo
		for range 2 { // a double tap counts once
			webtest.WantData(t, peerC.API(http.MethodPost, qaPath(q.ID, "/metoo"), nil), http.StatusOK, &m)
			if m != (metoo{1, true}) {
				t.Fatalf("metoo = %+v", m)
			}
		}
		webtest.WantData(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/metoo"), nil), http.StatusOK, &m)
		webtest.WantData(t, cadreC.API(http.MethodDelete, qaPath(q.ID, "/metoo"), nil), http.StatusOK, &m)
		if m != (metoo{1, false}) {
			t.Fatalf("withdrawn = %+v", m)
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q.ID, "/metoo"), nil), http.StatusForbidden, "own_question", "")
		webtest.WantAPIError(t, peerC.API(http.MethodPost, qaPath(999999, "/metoo"), nil), http.StatusNotFound, "question_not_found", "")

		var d struct {
			MetooCount int  `json:"metoo_count"`
			Metoo      bool `json:"metoo"`
			CanMetoo   bool `json:"can_metoo"`
			Answers    []struct {
				ID           uint64 `json:"id"`
				HelpfulCount int    `json:"helpful_count"`
				Helpful      bool   `json:"helpful"`
				CanHelpful   bool   `json:"can_helpful"`
			} `json:"answers"`
		}
		webtest.WantData(t, peerC.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.MetooCount != 1 || !d.Metoo || !d.CanMetoo {
			t.Fatalf("peer's view %+v", d)
		}
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.MetooCount != 1 || d.Metoo || d.CanMetoo {
			t.Fatalf("asker's view %+v", d)
		}

		// The board by 同问: q first although other is newer.
		var list struct {
			Questions []struct {
				ID         uint64 `json:"id"`
				MetooCount int    `json:"metoo_count"`
			} `json:"questions"`
		}
		webtest.WantData(t, peerC.API(http.MethodGet, "/api/v1/boards/u-"+webtest.CodeSZU+"/questions?sort=metoo", nil), http.StatusOK, &list)
		if len(list.Questions) != 2 || list.Questions[0].ID != q.ID || list.Questions[0].MetooCount != 1 || list.Questions[1].ID != other.ID {
			t.Fatalf("board by 同问 %+v", list.Questions)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodGet, "/api/v1/boards/u-"+webtest.CodeSZU+"/questions?sort=hot", nil),
			http.StatusBadRequest, "bad_sort", "sort")

		// The answer reaches the asker and the one who said 同问, not the
		// one who withdrew.
		var a qaAnswer
		webtest.WantData(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "下周三补测"}), http.StatusCreated, &a)
		qaDeliver(s)
		for _, u := range []model.User{stu, peer} {
			if got := qaTemplatesTo(s, webtest.OpenIDOf(u)); len(got) != 1 || got[0].TemplateID != "sandbox-answered" || got[0].URL != qaQuestionLink(s, q.ID) {
				t.Fatalf("%s got %+v, want one answered", u.Account, got)
			}
		}
		if got := qaTemplatesTo(s, webtest.OpenIDOf(cad)); len(got) != 2 { // question_new for both questions, no answered
			t.Fatalf("cadre got %+v", got)
		}

		helpful := "/api/v1/answers/" + strconv.FormatUint(a.ID, 10) + "/helpful"
		type tally struct {
			Count int  `json:"helpful_count"`
			On    bool `json:"helpful"`
		}
		var h tally
		for _, c := range []*webtest.Client{peerC, peerC, student} {
			webtest.WantData(t, c.API(http.MethodPost, helpful, nil), http.StatusOK, &h)
		}
		if h != (tally{2, true}) {
			t.Fatalf("helpful = %+v", h)
		}
		webtest.WantData(t, peerC.API(http.MethodDelete, helpful, nil), http.StatusOK, &h)
		if h != (tally{1, false}) {
			t.Fatalf("withdrawn = %+v", h)
		}
		webtest.WantAPIError(t, cadreC.API(http.MethodPost, helpful, nil), http.StatusForbidden, "own_answer", "")
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if len(d.Answers) != 1 || d.Answers[0].HelpfulCount != 1 || !d.Answers[0].Helpful || !d.Answers[0].CanHelpful {
			t.Fatalf("answers %+v", d.Answers)
		}
	})
}
