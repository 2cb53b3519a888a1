package api_test

// Tests of the questions, moderation and cadre API (/api/v1): the same
// services as the H5 pages, driven as a JSON client would, with template
// messages delivered to the shared fake WeChat API.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

type qaBoard struct {
	ID   uint64 `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type qaQuestion struct {
	ID            uint64     `json:"id"`
	BoardID       uint64     `json:"board_id"`
	BoardName     string     `json:"board_name"`
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	Anonymous     bool       `json:"anonymous"`
	AskerName     string     `json:"asker_name"`
	Mine          bool       `json:"mine"`
	Status        string     `json:"status"`
	StatusName    string     `json:"status_name"`
	Overdue       bool       `json:"overdue"`
	DueAt         time.Time  `json:"due_at"`
	FirstAnswered *time.Time `json:"first_answered_at"`
	PromiseKept   *bool      `json:"promise_kept"`
	Rating        string     `json:"rating"`
	RatingComment string     `json:"rating_comment"`
	HiddenReason  string     `json:"hidden_reason"`
	Notice        string     `json:"notice"`
}

type qaAnswer struct {
	ID         uint64 `json:"id"`
	QuestionID uint64 `json:"question_id"`
	Kind       string `json:"kind"`
	Body       string `json:"body"`
	Status     string `json:"status"`
	AuthorName string `json:"author_name"`
	AuthorRole string `json:"author_role"`
	Mine       bool   `json:"mine"`
	Notice     string `json:"notice"`
	CrossBoard bool   `json:"cross_board"`
	AuthorUni  string `json:"author_university"`
}

type qaDetail struct {
	qaQuestion
	Board       qaBoard    `json:"board"`
	Answers     []qaAnswer `json:"answers"`
	CanAnswer   bool       `json:"can_answer"`
	CrossAnswer bool       `json:"answer_cross_board"`
	CanFollowUp bool       `json:"can_follow_up"`
	CanResolve  bool       `json:"can_resolve"`
	CanModerate bool       `json:"can_moderate"`
}

type qaApplication struct {
	ID       uint64 `json:"id"`
	UserID   uint64 `json:"user_id"`
	Position string `json:"position"`
	RealName string `json:"real_name"`
	Phone    string `json:"phone"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
}

// qaDeliver runs the outbox sender once.
func qaDeliver(s *webtest.Stack) {
	s.T.Helper()
	s.Deliver()
}

type qaTemplate struct {
	ToUser     string `json:"touser"`
	TemplateID string `json:"template_id"`
	URL        string `json:"url"`
}

// qaTemplatesTo lists the template messages the fake accepted from this
// stack's app for openid, oldest first.
func qaTemplatesTo(s *webtest.Stack, openid string) []qaTemplate {
	s.T.Helper()
	var out []qaTemplate
	for _, c := range webtest.Fake().CallsTo("/cgi-bin/message/template/send") {
		if c.AppID != s.AppID || c.ErrCode != 0 {
			continue
		}
		var m qaTemplate
		if err := json.Unmarshal([]byte(c.Body), &m); err != nil {
			s.T.Fatalf("template body %q: %v", c.Body, err)
		}
		if m.ToUser == openid {
			out = append(out, m)
		}
	}
	return out
}

// qaQuestionLink is the link a template message carries to a question.
func qaQuestionLink(s *webtest.Stack, id uint64) string {
	return s.PublicURL + "/h5/oauth/start?next=%2Fh5%2Fquestions%2F" + strconv.FormatUint(id, 10)
}

// qaNoSecrets fails when a response carries what must stay private.
func qaNoSecrets(t *testing.T, r *webtest.Resp, users ...model.User) {
	t.Helper()
	for _, bad := range []string{"openid", "OpenID", "PasswordHash", "password", "$2a$", "asker_id", "AskerID", "author_id"} {
		if strings.Contains(r.Body, bad) {
			t.Fatalf("%s leaks %q:\n%s", r.URL, bad, r.Body)
		}
	}
	for _, u := range users {
		if o := webtest.OpenIDOf(u); o != "" && strings.Contains(r.Body, o) {
			t.Fatalf("%s leaks the openid of %s", r.URL, u.Account)
		}
	}
}

func qaPath(id uint64, rest string) string {
	return "/api/v1/questions/" + strconv.FormatUint(id, 10) + rest
}

func TestAPIQuestionFlow(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaStudent01", webtest.CodeSZU, "oQAFLOWSTUDENT000000000001", model.RoleStudent)
		peer := s.Account("qaPeer00001", webtest.CodeSZU, "oQAFLOWPEER000000000000001", model.RoleStudent)
		cad := s.Account("qaCadre0001", webtest.CodeSZU, "oQAFLOWCADRE00000000000001", model.RoleCadre)
		far := s.Account("qaFarCadre1", webtest.CodeSCUT, "oQAFLOWFARCADRE00000000001", model.RoleCadre)
		student, peerC, cadreC, farC := s.SignIn(stu), s.SignIn(peer), s.SignIn(cad), s.SignIn(far)

		// The student's boards: their university's first, then the province's.
		var boards []qaBoard
		r := student.API(http.MethodGet, "/api/v1/boards", nil)
		webtest.WantData(t, r, http.StatusOK, &boards)
		if len(boards) < 2 || boards[0].Key != "u-"+webtest.CodeSZU || boards[0].Kind != "university" ||
			boards[0].Name != "深圳大学版区" || boards[1].Kind != "province" {
			t.Fatalf("boards %+v", boards)
		}

		// Ask (anonymously) on the university's board.
		var q qaQuestion
		r = student.API(http.MethodPost, "/api/v1/questions",
			map[string]any{"title": "图书馆周末几点开门", "body": "周六周日的开放时间是？", "anonymous": true})
		webtest.WantData(t, r, http.StatusCreated, &q)
		if q.ID == 0 || q.Status != model.QuestionOpen || q.StatusName != "待答复" || !q.Mine || !q.Anonymous ||
			q.Notice != "" || q.Title != "图书馆周末几点开门" || q.BoardID != boards[0].ID || q.AskerName != model.DefaultDisplayName {
			t.Fatalf("asked %+v", q)
		}
		if d := time.Until(q.DueAt); d < 23*time.Hour || d > 25*time.Hour {
			t.Fatalf("due in %v, want 24 hours", d)
		}
		qaNoSecrets(t, r, stu)

		// The university's cadre is alerted, with a link that signs in
		// through OAuth and lands on the question; other cadres are not.
		qaDeliver(s)
		link := qaQuestionLink(s, q.ID)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(cad)); len(got) != 1 || got[0].TemplateID != "sandbox-question_new" || got[0].URL != link {
			t.Fatalf("cadre got %+v, want one question_new linking %s", got, link)
		}
		if got := qaTemplatesTo(s, webtest.OpenIDOf(far)); len(got) != 0 {
			t.Fatalf("the other university's cadre got %+v", got)
		}
		if u, err := url.Parse(link); err != nil || u.Query().Get("next") != "/h5/questions/"+strconv.FormatUint(q.ID, 10) {
			t.Fatalf("link %q", link)
		}

		// Another student sees 匿名同学; the cadre sees who asked.
		var d qaDetail
		r = peerC.API(http.MethodGet, qaPath(q.ID, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &d)
		if d.AskerName != "匿名同学" || d.Mine || d.CanAnswer || d.CanFollowUp || d.Board.Key != "u-"+webtest.CodeSZU {
			t.Fatalf("peer view %+v", d)
		}
		if strings.Contains(r.Body, "qaStudent01") {
			t.Fatal("the anonymous asker's account reaches another student")
		}
		qaNoSecrets(t, r, stu)
		r = cadreC.API(http.MethodGet, qaPath(q.ID, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &d)
		if d.AskerName != model.DefaultDisplayName || !d.CanAnswer || d.CanModerate {
			t.Fatalf("cadre view %+v", d)
		}

		// Answering is the university's cadres' job; another university's
		// cadre may only reply across boards (TestAPICrossBoardReply).
		r = farC.API(http.MethodGet, qaPath(q.ID, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &d)
		if !d.CanAnswer || !d.CrossAnswer || d.AskerName != "匿名同学" {
			t.Fatalf("the other university's cadre's view %+v", d)
		}
		r = cadreC.API(http.MethodGet, qaPath(q.ID, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &d)
		if d.CrossAnswer {
			t.Fatalf("the university's own cadre would reply across boards: %+v", d)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "我来答"}),
			http.StatusForbidden, "not_cadre", "")
		webtest.WantAPIError(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "  "}),
			http.StatusBadRequest, "empty", "body")
		// Only the asker rates, and only once answered.
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "满意"}),
			http.StatusConflict, "not_answered", "")

		var a qaAnswer
		r = cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "周末 9:00–21:00 开放。"})
		webtest.WantData(t, r, http.StatusCreated, &a)
		if a.ID == 0 || a.QuestionID != q.ID || a.Kind != "answer" || a.Status != "published" || !a.Mine ||
			a.AuthorRole != "团学干部" || a.AuthorName != "团学干部" || a.Notice != "" {
			t.Fatalf("answer %+v", a)
		}
		qaNoSecrets(t, r, cad)
		qaDeliver(s)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(stu)); len(got) != 1 || got[0].TemplateID != "sandbox-answered" || got[0].URL != link {
			t.Fatalf("asker got %+v, want one answered linking %s", got, link)
		}

		// The asker follows up; the cadre who answered hears of it.
		webtest.WantAPIError(t, peerC.API(http.MethodPost, qaPath(q.ID, "/followups"), map[string]string{"body": "我也想问"}),
			http.StatusForbidden, "not_asker", "")
		r = student.API(http.MethodPost, qaPath(q.ID, "/followups"), map[string]string{"body": "节假日也一样吗？"})
		webtest.WantData(t, r, http.StatusCreated, &a)
		if a.Kind != "followup" || a.AuthorRole != "提问者" || !a.Mine {
			t.Fatalf("follow-up %+v", a)
		}
		qaDeliver(s)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(cad)); len(got) != 2 || got[1].TemplateID != "sandbox-followup" || got[1].URL != link {
			t.Fatalf("cadre got %+v, want question_new then followup", got)
		}

		// Resolve with 满意.
		webtest.WantAPIError(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "满意"}),
			http.StatusForbidden, "not_asker", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "很好"}),
			http.StatusBadRequest, "bad_rating", "rating")
		r = student.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "满意", "comment": "谢谢！"})
		webtest.WantData(t, r, http.StatusOK, &q)
		if q.Status != model.QuestionResolved || q.StatusName != "已解决" || q.Rating != "满意" || q.RatingComment != "谢谢！" {
			t.Fatalf("resolved %+v", q)
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, qaPath(q.ID, "/resolve"), map[string]string{"rating": "一般"}),
			http.StatusConflict, "already_resolved", "")
		webtest.WantAPIError(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "补充"}),
			http.StatusConflict, "resolved", "")

		r = student.API(http.MethodGet, qaPath(q.ID, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &d)
		if d.Status != model.QuestionResolved || !d.Mine || d.CanResolve || d.CanFollowUp || len(d.Answers) != 2 ||
			d.Answers[0].Kind != "answer" || d.Answers[0].AuthorName != "团学干部" || d.Answers[0].Mine ||
			d.Answers[1].Kind != "followup" || !d.Answers[1].Mine || d.FirstAnswered == nil || d.PromiseKept == nil || !*d.PromiseKept {
			t.Fatalf("final view %+v", d)
		}
		qaNoSecrets(t, r, stu, cad)

		// Lists: the board, the unanswered filter, mine, search.
		var list struct {
			Board     qaBoard      `json:"board"`
			Page      int          `json:"page"`
			Questions []qaQuestion `json:"questions"`
		}
		r = peerC.API(http.MethodGet, "/api/v1/boards/u-"+webtest.CodeSZU+"/questions", nil)
		webtest.WantData(t, r, http.StatusOK, &list)
		if list.Board.Key != "u-"+webtest.CodeSZU || list.Page != 1 || len(list.Questions) != 1 || list.Questions[0].ID != q.ID ||
			list.Questions[0].AskerName != "匿名同学" || list.Questions[0].BoardName != "深圳大学版区" || list.Questions[0].Mine {
			t.Fatalf("board list %+v", list)
		}
		qaNoSecrets(t, r, stu)
		webtest.WantData(t, cadreC.API(http.MethodGet, "/api/v1/boards/u-"+webtest.CodeSZU+"/questions?unanswered=1&page=1", nil), http.StatusOK, &list)
		if len(list.Questions) != 0 {
			t.Fatalf("unanswered list %+v", list.Questions)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodGet, "/api/v1/boards/nosuch/questions", nil), http.StatusNotFound, "board_not_found", "")

		// Those who answer on a board see its unanswered questions first;
		// everybody else sees the newest first.
		var older, newer qaQuestion
		webtest.WantData(t, peerC.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "食堂几点关门"}), http.StatusCreated, &older)
		webtest.WantData(t, peerC.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "校车时刻表在哪看"}), http.StatusCreated, &newer)
		webtest.WantData(t, cadreC.API(http.MethodPost, qaPath(newer.ID, "/answers"), map[string]string{"body": "见校园网。"}), http.StatusCreated, &a)
		order := func(c *webtest.Client) []uint64 {
			t.Helper()
			webtest.WantData(t, c.API(http.MethodGet, "/api/v1/boards/u-"+webtest.CodeSZU+"/questions", nil), http.StatusOK, &list)
			var ids []uint64
			for _, x := range list.Questions {
				ids = append(ids, x.ID)
			}
			return ids
		}
		if got := order(cadreC); len(got) != 3 || got[0] != older.ID {
			t.Fatalf("cadre's order %v, want the open question %d first", got, older.ID)
		}
		if got := order(peerC); len(got) != 3 || got[0] != newer.ID || got[1] != older.ID || got[2] != q.ID {
			t.Fatalf("student's order %v, want newest first (%d, %d, %d)", got, newer.ID, older.ID, q.ID)
		}

		var qs []qaQuestion
		webtest.WantData(t, student.API(http.MethodGet, "/api/v1/questions/mine?page=1", nil), http.StatusOK, &qs)
		if len(qs) != 1 || qs[0].ID != q.ID || !qs[0].Mine {
			t.Fatalf("mine %+v", qs)
		}
		webtest.WantData(t, peerC.API(http.MethodGet, "/api/v1/questions/mine", nil), http.StatusOK, &qs)
		if len(qs) != 2 || qs[0].ID != newer.ID || qs[1].ID != older.ID || !qs[0].Mine {
			t.Fatalf("peer's mine %+v", qs)
		}
		webtest.WantData(t, peerC.API(http.MethodGet, "/api/v1/questions/search?q="+url.QueryEscape("图书馆 开门"), nil), http.StatusOK, &qs)
		if len(qs) != 1 || qs[0].ID != q.ID || qs[0].AskerName != "匿名同学" {
			t.Fatalf("search %+v", qs)
		}
		webtest.WantData(t, peerC.API(http.MethodGet, "/api/v1/questions/search?board=province-1&q="+url.QueryEscape("图书馆"), nil), http.StatusOK, &qs)
		if len(qs) != 0 {
			t.Fatalf("search in another board %+v", qs)
		}
		webtest.WantAPIError(t, peerC.API(http.MethodGet, "/api/v1/questions/search?q=", nil), http.StatusBadRequest, "empty_query", "q")
		webtest.WantAPIError(t, peerC.API(http.MethodGet, "/api/v1/questions/search?q="+url.QueryEscape("图 书"), nil),
			http.StatusBadRequest, "query_too_short", "q")
		webtest.WantAPIError(t, peerC.API(http.MethodGet, "/api/v1/questions/search?q="+url.QueryEscape(strings.Repeat("图", 101)), nil),
			http.StatusBadRequest, "query_too_long", "q")
	})
}

func TestAPIQuestionErrors(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaErrStu001", webtest.CodeSZU, "oQAERRSTUDENT0000000000001", model.RoleStudent)
		student := s.SignIn(stu)

		// Signed out: JSON 401 everywhere, also from WeChat.
		anon := s.Browser(webtest.UAWeChat)
		for _, p := range []string{"/api/v1/boards", "/api/v1/questions/1", "/api/v1/questions/mine", "/api/v1/moderation/queue",
			"/api/v1/admin/overdue", "/api/v1/cadre/applications"} {
			webtest.WantAPIError(t, anon.API(http.MethodGet, p, nil), http.StatusUnauthorized, "login_required", "")
		}
		webtest.WantAPIError(t, anon.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "x"}),
			http.StatusUnauthorized, "login_required", "")

		// Ids.
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/questions/999999", nil), http.StatusNotFound, "question_not_found", "")
		for _, bad := range []string{"abc", "0", "-1", "1.5", "99999999999999999999999", "9223372036854775808", "18446744073709551615"} {
			e := webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/questions/"+bad, nil), http.StatusBadRequest, "bad_id", "id")
			if !strings.Contains(e.Message, "编号") {
				t.Fatalf("message %q", e.Message)
			}
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions/abc/answers", map[string]string{"body": "x"}),
			http.StatusBadRequest, "bad_id", "id")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/cadre/applications/abc/decision", map[string]any{"approve": true}),
			http.StatusBadRequest, "bad_id", "id")

		// Roles.
		e := webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/moderation/queue", nil), http.StatusForbidden, "not_admin", "")
		if !strings.Contains(e.Message, "管理员") {
			t.Fatalf("message %q", e.Message)
		}
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/overdue", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/alert-problems", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/alerts-unknown", nil), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/cadre/applications", nil), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/admin/university-admins", map[string]any{"user_id": stu.ID}),
			http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/moderation",
			map[string]any{"target": "question", "id": 1, "action": "hide", "reason": "广告"}), http.StatusNotFound, "question_not_found", "")

		// CSRF: a state-changing request without the header.
		r := student.Do(http.MethodPost, "/api/v1/questions", strings.NewReader(`{"title":"没有令牌"}`),
			http.Header{"Content-Type": {"application/json"}})
		webtest.WantAPIError(t, r, http.StatusForbidden, "csrf", "")
		r = student.Do(http.MethodPost, "/api/v1/questions", strings.NewReader(`{"title":"错误令牌"}`),
			http.Header{"Content-Type": {"application/json"}, "X-CSRF-Token": {strings.Repeat("x", 43)}})
		webtest.WantAPIError(t, r, http.StatusForbidden, "csrf", "")

		// Bodies.
		for _, bad := range []string{"{title:", "[]", "", `{"title": 5}`, `{"anonymous": "yes"}`} {
			e := webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", bad), http.StatusBadRequest, "bad_json", "")
			if !strings.Contains(e.Message, "JSON") {
				t.Fatalf("%q: message %q", bad, e.Message)
			}
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", `{"title":"`+strings.Repeat("长", 70<<10)+`"}`),
			http.StatusRequestEntityTooLarge, "body_too_large", "")
		// Over the service's limit (the one limit: the API binds no length
		// of its own), however far over.
		for _, n := range []int{51, 201} {
			e = webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": strings.Repeat("长", n)}),
				http.StatusBadRequest, "title_too_long", "title")
			if !strings.Contains(e.Fields["title"], "50") {
				t.Fatalf("fields %v", e.Fields)
			}
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": " "}),
			http.StatusBadRequest, "title_required", "title")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "问题", "body": strings.Repeat("长", 2001)}),
			http.StatusBadRequest, "too_long", "body")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "问题", "board": "u-" + webtest.CodeSCUT}),
			http.StatusForbidden, "other_university_board", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "问题", "board": "nosuch"}),
			http.StatusNotFound, "board_not_found", "")
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/moderation", map[string]any{"target": "question", "action": "hide"}),
			http.StatusBadRequest, "invalid_input", "id")

		// A provincial board works; nothing was created by the failures.
		var q qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"board": "province-2", "title": "实习证明怎么开"}),
			http.StatusCreated, &q)
		var qs []qaQuestion
		webtest.WantData(t, student.API(http.MethodGet, "/api/v1/questions/mine", nil), http.StatusOK, &qs)
		if len(qs) != 1 || qs[0].ID != q.ID || qs[0].BoardName != "就业创业" {
			t.Fatalf("mine %+v", qs)
		}
	})
}

func TestAPIModeration(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaModStu001", webtest.CodeSZU, "oQAMODSTUDENT0000000000001", model.RoleStudent)
		cad := s.Account("qaModCadre1", webtest.CodeSZU, "oQAMODCADRE000000000000001", model.RoleCadre)
		adm := s.Account("qaModAdmin1", webtest.CodeSZU, "oQAMODADMIN000000000000001", model.RoleUniversityAdm)
		farAdm := s.Account("qaFarAdmin1", webtest.CodeSCUT, "oQAMODFARADMIN000000000001", model.RoleUniversityAdm)
		student, cadreC, admin, farAdmin := s.SignIn(stu), s.SignIn(cad), s.SignIn(adm), s.SignIn(farAdm)

		// A sensitive word holds the question for review, and says so.
		var q qaQuestion
		r := student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "有人找我代考怎么办", "body": "怎么举报？"})
		webtest.WantData(t, r, http.StatusCreated, &q)
		if q.Status != model.QuestionReview || q.StatusName != "审核中" || !strings.Contains(q.Notice, "审核") {
			t.Fatalf("held question %+v", q)
		}
		qaDeliver(s)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(cad)); len(got) != 0 {
			t.Fatalf("a held question alerted the cadre: %+v", got)
		}
		webtest.WantAPIError(t, cadreC.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusNotFound, "question_not_found", "")
		webtest.WantAPIError(t, cadreC.API(http.MethodGet, "/api/v1/moderation/queue", nil), http.StatusForbidden, "not_admin", "")

		// The university admin sees it in the queue; another university's does not.
		type item struct {
			Kind     string     `json:"kind"`
			ID       uint64     `json:"id"`
			Body     string     `json:"body"`
			Question qaQuestion `json:"question"`
		}
		var queue []item
		r = admin.API(http.MethodGet, "/api/v1/moderation/queue", nil)
		webtest.WantData(t, r, http.StatusOK, &queue)
		if len(queue) != 1 || queue[0].Kind != "question" || queue[0].ID != q.ID || queue[0].Question.Title != q.Title {
			t.Fatalf("queue %+v", queue)
		}
		qaNoSecrets(t, r, stu)
		webtest.WantData(t, farAdmin.API(http.MethodGet, "/api/v1/moderation/queue", nil), http.StatusOK, &queue)
		if len(queue) != 0 {
			t.Fatalf("other university's queue %+v", queue)
		}
		moderate := func(c *webtest.Client, target string, id uint64, action, reason string) *webtest.Resp {
			return c.API(http.MethodPost, "/api/v1/moderation", map[string]any{"target": target, "id": id, "action": action, "reason": reason})
		}
		webtest.WantAPIError(t, moderate(farAdmin, "question", q.ID, "approve", ""), http.StatusNotFound, "question_not_found", "")
		webtest.WantAPIError(t, moderate(admin, "question", q.ID, "delete", ""), http.StatusBadRequest, "bad_action", "action")
		webtest.WantAPIError(t, moderate(admin, "post", q.ID, "approve", ""), http.StatusBadRequest, "bad_target", "")

		// Approving publishes it and alerts the cadre now.
		var done map[string]any
		webtest.WantData(t, moderate(admin, "question", q.ID, "approve", ""), http.StatusOK, &done)
		if done["action"] != "approve" || done["target"] != "question" {
			t.Fatalf("moderation result %v", done)
		}
		webtest.WantAPIError(t, moderate(admin, "question", q.ID, "approve", ""), http.StatusConflict, "not_in_review", "")
		qaDeliver(s)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(cad)); len(got) != 1 || got[0].TemplateID != "sandbox-question_new" || got[0].URL != qaQuestionLink(s, q.ID) {
			t.Fatalf("cadre got %+v", got)
		}
		if got := qaTemplatesTo(s, webtest.OpenIDOf(stu)); len(got) != 1 || got[0].TemplateID != "sandbox-moderated" {
			t.Fatalf("asker got %+v", got)
		}

		// An answer: hide it (with a reason), then restore it.
		var a qaAnswer
		webtest.WantData(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "请向学校教务处举报。"}), http.StatusCreated, &a)
		webtest.WantAPIError(t, moderate(admin, "answer", a.ID, "hide", ""), http.StatusBadRequest, "reason_required", "reason")
		webtest.WantData(t, moderate(admin, "answer", a.ID, "hide", "信息不准确"), http.StatusOK, &done)
		var d qaDetail
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if len(d.Answers) != 0 {
			t.Fatalf("a hidden answer is shown to the asker: %+v", d.Answers)
		}
		webtest.WantData(t, admin.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if len(d.Answers) != 1 || d.Answers[0].Status != "hidden" || !d.CanModerate {
			t.Fatalf("admin view %+v", d)
		}
		webtest.WantData(t, moderate(admin, "answer", a.ID, "reopen", ""), http.StatusOK, &done)
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if len(d.Answers) != 1 || d.Answers[0].Status != "published" {
			t.Fatalf("after reopen %+v", d.Answers)
		}

		// Hide the question: gone for others, still the asker's.
		webtest.WantData(t, moderate(admin, "question", q.ID, "hide", "重复提问"), http.StatusOK, &done)
		webtest.WantAPIError(t, cadreC.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusNotFound, "question_not_found", "")
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.Status != model.QuestionHidden || d.HiddenReason != "重复提问" || d.CanFollowUp {
			t.Fatalf("asker's view of the hidden question %+v", d)
		}
		if d.StatusName != "已隐藏" {
			t.Fatalf("a question hidden after publication is named %q, want 已隐藏", d.StatusName)
		}

		// Rejecting a held question: the asker reads it as not passing
		// review, on the API and on the page.
		var held qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "代考的事还能问吗", "body": "再问一次"}), http.StatusCreated, &held)
		webtest.WantData(t, moderate(admin, "question", held.ID, "hide", "涉及违规内容"), http.StatusOK, &done)
		webtest.WantData(t, student.API(http.MethodGet, qaPath(held.ID, ""), nil), http.StatusOK, &d)
		if d.Status != model.QuestionHidden || d.StatusName != "未通过审核" || d.HiddenReason != "涉及违规内容" {
			t.Fatalf("asker's view of the rejected question %+v", d)
		}
		page := student.Get("/h5/questions/" + strconv.FormatUint(held.ID, 10))
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "未通过审核：涉及违规内容")
		if strings.Contains(page.Body, "已被管理员隐藏") {
			t.Fatal("the rejected question's page says it was hidden by an admin")
		}
	})
}

func TestAPICadreApplication(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaApplicant", webtest.CodeSZU, "oQAAPPSTUDENT0000000000001", model.RoleStudent)
		other := s.Account("qaApplican2", webtest.CodeSZU, "oQAAPPSTUDENT0000000000002", model.RoleStudent)
		prov := s.Account("qaProvince1", webtest.CodeSCUT, "oQAAPPPROVINCE000000000001", model.RoleProvinceAdmin)
		adm := s.Account("qaAppAdmin1", webtest.CodeSZU, "oQAAPPADMIN000000000000001", model.RoleStudent)
		farAdm := s.Account("qaAppFarAdm", webtest.CodeSCUT, "oQAAPPFARADMIN000000000001", model.RoleUniversityAdm)
		student, otherC, province, admin, farAdmin := s.SignIn(stu), s.SignIn(other), s.SignIn(prov), s.SignIn(adm), s.SignIn(farAdm)

		// The province admin appoints the university's admin.
		webtest.WantAPIError(t, farAdmin.API(http.MethodPost, "/api/v1/admin/university-admins", map[string]any{"user_id": adm.ID}),
			http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/university-admins", map[string]any{"user_id": 99999999}),
			http.StatusNotFound, "user_not_found", "")
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/university-admins", map[string]any{}),
			http.StatusBadRequest, "invalid_input", "user_id")
		var appointed struct {
			UserID uint64 `json:"user_id"`
			Role   string `json:"role"`
		}
		webtest.WantData(t, province.API(http.MethodPost, "/api/v1/admin/university-admins", map[string]any{"user_id": adm.ID}), http.StatusOK, &appointed)
		if appointed.UserID != adm.ID || appointed.Role != model.RoleUniversityAdm || s.UserByAccount("qaAppAdmin1").Role != model.RoleUniversityAdm {
			t.Fatalf("appointed %+v", appointed)
		}

		// Apply (附件1 fields are checked by the service).
		e := webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/cadre/applications",
			map[string]string{"position": "学生会主席", "real_name": "李青", "phone": "12345"}), http.StatusBadRequest, "invalid_input", "phone")
		if !strings.Contains(e.Fields["phone"], "手机号") {
			t.Fatalf("fields %v", e.Fields)
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/cadre/applications",
			map[string]string{"position": "学生会主席", "real_name": "李青", "phone": strings.Repeat("1", 31)}), http.StatusBadRequest, "invalid_input", "phone")
		body := map[string]string{"position": "学生会主席", "real_name": "李青", "phone": "13800138000",
			"email": "liqing@example.com", "qq": "123456", "wechat_id": "liqing2026"}
		var app qaApplication
		r := student.API(http.MethodPost, "/api/v1/cadre/applications", body)
		webtest.WantData(t, r, http.StatusCreated, &app)
		if app.ID == 0 || app.UserID != stu.ID || app.Status != model.ApplicationPending || app.Phone != "138****8000" || app.RealName != "李青" {
			t.Fatalf("application %+v", app)
		}
		if strings.Contains(r.Body, "13800138000") {
			t.Fatal("the phone number is shown unmasked")
		}
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/cadre/applications", body), http.StatusConflict, "pending_exists", "")
		var app2 qaApplication
		webtest.WantData(t, otherC.API(http.MethodPost, "/api/v1/cadre/applications",
			map[string]string{"position": "班长", "real_name": "王青", "phone": "13900139000"}), http.StatusCreated, &app2)

		// The university admin (and the province admin) see them; another university's admin does not.
		var apps []qaApplication
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/cadre/applications", nil), http.StatusOK, &apps)
		if len(apps) != 2 || apps[0].ID != app.ID || apps[0].Phone != "138****8000" {
			t.Fatalf("pending %+v", apps)
		}
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/cadre/applications", nil), http.StatusOK, &apps)
		if len(apps) != 2 {
			t.Fatalf("province pending %+v", apps)
		}
		webtest.WantData(t, farAdmin.API(http.MethodGet, "/api/v1/cadre/applications", nil), http.StatusOK, &apps)
		if len(apps) != 0 {
			t.Fatalf("other university's pending %+v", apps)
		}
		decide := func(c *webtest.Client, id uint64, body any) *webtest.Resp {
			return c.API(http.MethodPost, "/api/v1/cadre/applications/"+strconv.FormatUint(id, 10)+"/decision", body)
		}
		webtest.WantAPIError(t, decide(farAdmin, app.ID, map[string]any{"approve": true}), http.StatusNotFound, "application_not_found", "")
		webtest.WantAPIError(t, decide(student, app.ID, map[string]any{"approve": true}), http.StatusNotFound, "application_not_found", "")
		webtest.WantAPIError(t, decide(admin, app.ID, map[string]any{"reason": "x"}), http.StatusBadRequest, "invalid_input", "approve")
		webtest.WantAPIError(t, decide(admin, app.ID, map[string]any{"approve": false}), http.StatusBadRequest, "reason_required", "reason")
		webtest.WantAPIError(t, decide(admin, 99999999, map[string]any{"approve": true}), http.StatusNotFound, "application_not_found", "")

		// Approve one, reject the other; both applicants are told.
		r = decide(admin, app.ID, map[string]any{"approve": true})
		webtest.WantData(t, r, http.StatusOK, &app)
		if app.Status != model.ApplicationApproved || app.Phone != "138****8000" {
			t.Fatalf("decided %+v", app)
		}
		if strings.Contains(r.Body, "13800138000") {
			t.Fatal("the decision shows the phone number unmasked")
		}
		webtest.WantAPIError(t, decide(admin, app.ID, map[string]any{"approve": false, "reason": "重复"}), http.StatusConflict, "already_decided", "")
		webtest.WantData(t, decide(province, app2.ID, map[string]any{"approve": false, "reason": "请先完成班级备案"}), http.StatusOK, &app2)
		if app2.Status != model.ApplicationRejected || app2.Reason != "请先完成班级备案" {
			t.Fatalf("rejected %+v", app2)
		}

		var me apiUser
		webtest.WantData(t, student.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK, &me)
		if me.Role != model.RoleCadre || me.RoleName != "团学干部" || me.Name != "李青" {
			t.Fatalf("applicant after approval %+v", me)
		}
		webtest.WantData(t, otherC.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK, &me)
		if me.Role != model.RoleStudent {
			t.Fatalf("rejected applicant %+v", me)
		}
		qaDeliver(s)
		for _, u := range []model.User{stu, other} {
			if got := qaTemplatesTo(s, webtest.OpenIDOf(u)); len(got) != 1 || got[0].TemplateID != "sandbox-application_decided" {
				t.Fatalf("%s got %+v", u.Account, got)
			}
		}
		// A cadre no longer applies.
		webtest.WantAPIError(t, student.API(http.MethodPost, "/api/v1/cadre/applications", body), http.StatusConflict, "already_cadre", "")
	})
}

func TestAPIAdminViews(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		stu := s.Account("qaOverStu01", webtest.CodeSZU, "oQAOVERSTUDENT000000000001", model.RoleStudent)
		farStu := s.Account("qaOverStu02", webtest.CodeSCUT, "oQAOVERSTUDENT000000000002", model.RoleStudent)
		adm := s.Account("qaOverAdmin", webtest.CodeSZU, "oQAOVERADMIN00000000000001", model.RoleUniversityAdm)
		prov := s.Account("qaOverProv1", webtest.CodeSCUT, "oQAOVERPROVINCE00000000001", model.RoleProvinceAdmin)
		student, farStudent, admin, province := s.SignIn(stu), s.SignIn(farStu), s.SignIn(adm), s.SignIn(prov)

		var q1, q2 qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "奖学金什么时候发"}), http.StatusCreated, &q1)
		webtest.WantData(t, farStudent.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "宿舍空调报修"}), http.StatusCreated, &q2)

		type overdue struct {
			Questions    []qaQuestion `json:"questions"`
			ByUniversity []struct {
				UniversityID uint64 `json:"university_id"`
				Name         string `json:"name"`
				Count        int64  `json:"count"`
			} `json:"by_university"`
		}
		var o overdue
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/admin/overdue", nil), http.StatusOK, &o)
		if len(o.Questions) != 0 {
			t.Fatalf("overdue before 24 hours %+v", o)
		}
		clk.Advance(25 * time.Hour)
		r := admin.API(http.MethodGet, "/api/v1/admin/overdue", nil)
		webtest.WantData(t, r, http.StatusOK, &o)
		if len(o.Questions) != 1 || o.Questions[0].ID != q1.ID || !o.Questions[0].Overdue || len(o.ByUniversity) != 0 {
			t.Fatalf("university admin's overdue %+v", o)
		}
		qaNoSecrets(t, r, stu)
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/overdue", nil), http.StatusOK, &o)
		if len(o.Questions) != 2 || len(o.ByUniversity) != 2 || o.ByUniversity[0].Count != 1 {
			t.Fatalf("province overdue %+v", o)
		}

		// Template configuration problems: none yet, then one WeChat refused.
		var problems []struct {
			TemplateKey string     `json:"template_key"`
			LastErrCode int        `json:"last_errcode"`
			Count       int64      `json:"count"`
			Quota       bool       `json:"quota"`
			Until       *time.Time `json:"until"`
		}
		r = province.API(http.MethodGet, "/api/v1/admin/alert-problems", nil)
		webtest.WantData(t, r, http.StatusOK, &problems)
		if len(problems) != 0 || !strings.Contains(r.Body, `"data":[]`) {
			t.Fatalf("problems %s", r.Body)
		}
		if err := db.Conn(context.Background()).Model(&model.TemplateMessage{}).Where("1 = 1").
			Updates(map[string]any{"config_error": true, "last_err_code": 40037, "updated_at": clk.Now().UTC()}).Error; err != nil {
			t.Fatal(err)
		}
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/admin/alert-problems", nil), http.StatusOK, &problems)
		if len(problems) != 1 || problems[0].TemplateKey != "question_new" || problems[0].LastErrCode != 40037 {
			t.Fatalf("problems %+v", problems)
		}

		// The day's quota spent: listed before the templates, with when
		// the held-back messages go out.
		until := clk.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
		held := model.TemplateMessage{OpenID: "o_api_quota", TemplateKey: "answered", Data: "{}", Status: model.TemplatePending,
			LastErrCode: 45009, NextAttemptAt: until, CreatedAt: clk.Now().UTC(), UpdatedAt: clk.Now().UTC()}
		if err := db.Conn(context.Background()).Create(&held).Error; err != nil {
			t.Fatal(err)
		}
		var waiting int64 // everything queued waits for midnight with it
		if err := db.Conn(context.Background()).Model(&model.TemplateMessage{}).Where("status = ?", model.TemplatePending).Count(&waiting).Error; err != nil || waiting < 2 {
			t.Fatalf("pending messages: %d, %v", waiting, err)
		}
		webtest.WantData(t, admin.API(http.MethodGet, "/api/v1/admin/alert-problems", nil), http.StatusOK, &problems)
		if len(problems) != 2 || !problems[0].Quota || problems[0].LastErrCode != 45009 || problems[0].Count != waiting ||
			problems[0].Until == nil || !problems[0].Until.Equal(until) || problems[1].Quota {
			t.Fatalf("problems with the quota spent %+v", problems)
		}
	})
}

// The alerts whose delivery is 状态未知, for the admins through the API.
func TestAPIAlertsUnknown(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
	now := time.Now().UTC()
	m := model.TemplateMessage{OpenID: "oUNKNOWN", TemplateKey: "overdue", TemplateID: "tpl", URL: "/h5/questions/9", Data: "{}",
		Status: model.TemplateUnknown, NextAttemptAt: now, AttemptStartedAt: &now, CreatedAt: now, UpdatedAt: now}
	if err := s.DB.Conn(context.Background()).Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data struct {
			Count    int
			Hint     string
			Messages []struct {
				ID           uint64
				Name, Status string
				StatusName   string `json:"status_name"`
			}
		}
	}
	r := admin.API(http.MethodGet, "/api/v1/admin/alerts-unknown", nil)
	webtest.WantStatus(t, r, http.StatusOK)
	r.Decode(t, &out)
	if out.Data.Count != 1 || len(out.Data.Messages) != 1 || out.Data.Messages[0].ID != m.ID || out.Data.Messages[0].Name != "超时未答复" ||
		out.Data.Messages[0].StatusName != "状态未知" || out.Data.Hint == "" {
		t.Fatalf("alerts-unknown %+v", out.Data)
	}
}

// A cadre of another university replies on a university's board: the
// reply is labelled 外校干部 with the replier's university, the asker is
// told, and the question stays open until its own cadres answer.
func TestAPICrossBoardReply(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Account("qaXStu00001", webtest.CodeSZU, "oQACROSSSTUDENT00000000001", model.RoleStudent)
		cad := s.Account("qaXCad00001", webtest.CodeSZU, "oQACROSSCADRE0000000000001", model.RoleCadre)
		far := s.Account("qaXFar00001", webtest.CodeSCUT, "oQACROSSFARCADRE0000000001", model.RoleCadre)
		farStu := s.Account("qaXFarStu01", webtest.CodeSCUT, "oQACROSSFARSTUDENT00000001", model.RoleStudent)
		student, cadreC, farC := s.SignIn(stu), s.SignIn(cad), s.SignIn(far)

		var q qaQuestion
		webtest.WantData(t, student.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "校园卡丢了怎么补办"}), http.StatusCreated, &q)

		var a qaAnswer
		r := farC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "一般到卡务中心补办"})
		webtest.WantData(t, r, http.StatusCreated, &a)
		if a.Status != "published" || !a.CrossBoard || a.AuthorRole != "外校干部" || a.AuthorUni != "华南理工大学" || !a.Mine || a.Notice != "" {
			t.Fatalf("cross-board reply %+v", a)
		}
		qaNoSecrets(t, r, far)
		qaDeliver(s)
		if got := qaTemplatesTo(s, webtest.OpenIDOf(stu)); len(got) != 1 || got[0].TemplateID != "sandbox-answered" {
			t.Fatalf("asker got %+v, want one answered", got)
		}

		var d qaDetail
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.Status != model.QuestionOpen || d.FirstAnswered != nil || d.CanResolve || len(d.Answers) != 1 {
			t.Fatalf("after the cross-board reply: %+v", d)
		}
		if x := d.Answers[0]; !x.CrossBoard || x.AuthorRole != "外校干部" || x.AuthorUni != "华南理工大学" || x.Mine {
			t.Fatalf("the reply shows as %+v", x)
		}

		// A student of the other university may not answer.
		webtest.WantAPIError(t, s.SignIn(farStu).API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "我也来答"}),
			http.StatusForbidden, "not_cadre", "")
		// Held for review like any answer.
		r = farC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "我认识赌博 网站的人"})
		webtest.WantData(t, r, http.StatusCreated, &a)
		if a.Status != "review" || !a.CrossBoard || a.Notice == "" {
			t.Fatalf("held reply %+v", a)
		}

		// The university's own cadre answers: the question's answer.
		var own qaAnswer
		webtest.WantData(t, cadreC.API(http.MethodPost, qaPath(q.ID, "/answers"), map[string]string{"body": "到卡务中心补办，带上身份证"}), http.StatusCreated, &own)
		if own.CrossBoard || own.AuthorRole != "团学干部" || own.AuthorUni != "" {
			t.Fatalf("own answer %+v", own)
		}
		webtest.WantData(t, student.API(http.MethodGet, qaPath(q.ID, ""), nil), http.StatusOK, &d)
		if d.Status != model.QuestionAnswered || d.FirstAnswered == nil || !d.CanResolve || len(d.Answers) != 2 ||
			!d.Answers[0].CrossBoard || d.Answers[1].CrossBoard {
			t.Fatalf("after the university's answer: %+v", d)
		}
	})
}
