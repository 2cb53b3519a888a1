package h5_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// 同问 and 有用 on the pages: a button with its count, pressed once
// tapped, a second tap withdraws; the board sorts by 同问 and shows the
// count; the one who said 同问 gets the answered alert.
func TestMetooAndHelpfulPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Member("mstu", webtest.CodeSZU, model.RoleStudent)
		classmate := s.Member("mmate", webtest.CodeSZU, model.RoleStudent)
		cadre := s.Member("mcad", webtest.CodeSZU, model.RoleCadre)
		phone, mate := s.Phone(student), s.Phone(classmate)
		qid, _ := askOn(t, phone, url.Values{"title": {"四六级报名入口在哪"}})
		newer, _ := askOn(t, phone, url.Values{"title": {"食堂几点关门"}})

		// The asker sees the count, not the button.
		if strings.Contains(phone.Get("/h5/questions/"+qid).Body, `id="metoo-form"`) {
			t.Fatal("the asker is offered 同问 on their own question")
		}
		page := mate.Get("/h5/questions/" + qid)
		webtest.WantBody(t, page, `id="metoo-form"`, `aria-pressed="false"`, `name="on" value="1"`, `name="_csrf"`)
		for range 2 { // a double tap: the form asks for "on" both times
			r := mate.Post("/h5/questions/"+qid+"/metoo", url.Values{"on": {"1"}})
			webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/questions/"+qid+"?notice=metoo#question")
		}
		page = mate.Get("/h5/questions/" + qid + "?notice=metoo")
		webtest.WantBody(t, page, "已同问", `aria-pressed="true"`, `<span id="metoo-count">1</span>`, `name="on" value="0"`, "有答复时会和提问者一样收到通知")
		webtest.WantBody(t, phone.Get("/h5/questions/"+qid), `<span id="metoo-count">1</span> 人同问`)
		// Refused: back on the question page (POST-redirect-GET) with the message.
		if r := phone.Post("/h5/questions/"+qid+"/metoo", url.Values{"on": {"1"}}); r.Flashed == nil || r.Status != http.StatusOK ||
			!strings.Contains(r.Body, "不能同问自己的提问") {
			t.Fatalf("asker's 同问: %d", r.Status)
		}

		// The board: newest first by default, most 同问 first when asked.
		board := "/h5/boards/u-" + webtest.CodeSZU
		order := func(body string) []string {
			var ids []string
			for _, m := range regexp.MustCompile(`question-item" href="/h5/questions/\d+" data-id="(\d+)"`).FindAllStringSubmatch(body, -1) {
				ids = append(ids, m[1])
			}
			return ids
		}
		if got := order(mate.Get(board).Body); len(got) != 2 || got[0] != newer {
			t.Fatalf("newest first: %v", got)
		}
		byMetoo := mate.Get(board + "?sort=metoo")
		webtest.WantBody(t, byMetoo, `id="sort-metoo"`, "同问最多", "1 人同问")
		if got := order(byMetoo.Body); len(got) != 2 || got[0] != qid || got[1] != newer {
			t.Fatalf("most 同问 first: %v", got)
		}
		if !strings.Contains(byMetoo.Body, `class="tab active" href="/h5/boards/u-`+webtest.CodeSZU+`?sort=metoo" id="sort-metoo"`) {
			t.Fatal("the 同问最多 switch is not shown as chosen")
		}

		// The answer reaches the one who said 同问; 有用 on it.
		cad := s.Phone(cadre)
		webtest.WantRedirect(t, cad.Post("/h5/questions/"+qid+"/answer", url.Values{"body": {"在教务网报名"}}),
			http.StatusSeeOther, "/h5/questions/"+qid+"?notice=answered")
		s.Deliver()
		if got := webtest.WithTemplate(webtest.Inbox(t, classmate.OpenID), "sandbox-answered"); len(got) != 1 {
			t.Fatalf("the one who said 同问 got %d answered alerts, want 1", len(got))
		}
		page = mate.Get("/h5/questions/" + qid)
		m := regexp.MustCompile(`action="(/h5/questions/` + qid + `/answers/(\d+)/helpful)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no 有用 form on the answer:\n%s", page.Body)
		}
		webtest.WantRedirect(t, mate.Post(m[1], url.Values{"on": {"1"}}), http.StatusSeeOther, "/h5/questions/"+qid+"#answer-"+m[2])
		webtest.WantBody(t, mate.Get("/h5/questions/"+qid), `<span class="helpful-count">1</span>`, `helpful-button pressed`)
		webtest.WantBody(t, cad.Get("/h5/questions/"+qid), `<span class="helpful-count">1</span> 人觉得有用`)
		if r := cad.Post(m[1], url.Values{"on": {"1"}}); r.Flashed == nil || r.Status != http.StatusOK || !strings.Contains(r.Body, `id="form-error"`) {
			t.Fatalf("author's 有用: %d", r.Status)
		}
		// Withdrawn by a second tap.
		webtest.WantRedirect(t, mate.Post("/h5/questions/"+qid+"/metoo", url.Values{"on": {"0"}}), http.StatusSeeOther, "/h5/questions/"+qid+"#question")
		webtest.WantBody(t, mate.Get("/h5/questions/"+qid), `aria-pressed="false"`, `<span id="metoo-count">0</span>`)
	})
}
