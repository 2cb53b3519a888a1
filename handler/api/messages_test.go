package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/question"
)

type apiMessage struct {
	ID      uint64 `json:"id"`
	Kind    string `json:"kind"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Path    string `json:"path"`
	Read    bool   `json:"read"`
}

type apiMessagePage struct {
	Messages   []apiMessage `json:"messages"`
	NextCursor string       `json:"next_cursor"`
}

func unreadOf(t *testing.T, c *webtest.Client) int {
	t.Helper()
	var out struct {
		Unread int `json:"unread"`
	}
	webtest.WantData(t, c.API(http.MethodGet, "/api/v1/messages/unread-count", nil), http.StatusOK, &out)
	return out.Unread
}

// A student's question is answered: the answer is in their 我的消息
// through the API (read one, read all, a page at a time); another
// person neither sees nor marks it.
func TestAPIMessages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()
		stu := s.Member("mstu", webtest.CodeSZU, model.RoleStudent)
		cad := s.Member("mcad", webtest.CodeSZU, model.RoleCadre)
		phone, other := s.Phone(stu), s.Phone(s.Member("moth", webtest.CodeSZU, model.RoleStudent))

		q, err := s.Questions.Ask(ctx, stu.User, question.AskInput{Title: "图书馆周末几点开门", Body: "想周末去自习，请问开放时间？"})
		if err != nil {
			t.Fatal(err)
		}
		cadre := s.UserByAccount(cad.User.Account)
		if _, err := s.Questions.Answer(ctx, cadre, q.ID, "周六日 8:00-22:00 开放。"); err != nil {
			t.Fatal(err)
		}
		if n := unreadOf(t, phone); n != 1 {
			t.Fatalf("unread = %d, want 1", n)
		}
		var p apiMessagePage
		webtest.WantData(t, phone.API(http.MethodGet, "/api/v1/messages", nil), http.StatusOK, &p)
		if len(p.Messages) != 1 || p.NextCursor != "" {
			t.Fatalf("list = %+v", p)
		}
		m := p.Messages[0]
		want := "/h5/questions/" + strconv.FormatUint(q.ID, 10)
		if m.Kind != "answered" || m.Title != "提问已答复" || m.Summary != "「图书馆周末几点开门」由 mcad老师 答复" || m.Path != want || m.Read {
			t.Fatalf("message = %+v", m)
		}
		id := strconv.FormatUint(m.ID, 10)
		// Someone else's message does not exist for them.
		webtest.WantAPIError(t, other.API(http.MethodPost, "/api/v1/messages/"+id+"/read", nil), http.StatusNotFound, "message_not_found", "")
		webtest.WantData(t, other.API(http.MethodGet, "/api/v1/messages", nil), http.StatusOK, &p)
		if len(p.Messages) != 0 {
			t.Fatalf("another's list shows %+v", p.Messages)
		}
		webtest.WantAPIError(t, phone.API(http.MethodPost, "/api/v1/messages/x/read", nil), http.StatusBadRequest, "bad_id", "")
		webtest.WantAPIError(t, phone.API(http.MethodGet, "/api/v1/messages?after=abc", nil), http.StatusBadRequest, "bad_cursor", "after")
		webtest.WantAPIError(t, s.Browser(webtest.UAPlain).API(http.MethodGet, "/api/v1/messages/unread-count", nil), http.StatusUnauthorized, "login_required", "")

		var read apiMessage
		webtest.WantData(t, phone.API(http.MethodPost, "/api/v1/messages/"+id+"/read", nil), http.StatusOK, &read)
		if !read.Read || read.Path != want {
			t.Fatalf("read = %+v", read)
		}
		if n := unreadOf(t, phone); n != 0 {
			t.Fatalf("unread after reading = %d", n)
		}

		// A full page and more: the cursor walks on to the older ones.
		var es []inbox.Entry
		for range inbox.PageSize + 3 {
			es = append(es, inbox.Entry{UserID: stu.User.ID, Kind: alertkind.Notice, Path: "/h5/notices/1", Values: map[string]string{"title": "通知"}})
		}
		if err := s.Inbox.Add(ctx, es, nil); err != nil {
			t.Fatal(err)
		}
		webtest.WantData(t, phone.API(http.MethodGet, "/api/v1/messages", nil), http.StatusOK, &p)
		if len(p.Messages) != inbox.PageSize || p.NextCursor == "" || p.Messages[0].Kind != "notice" {
			t.Fatalf("first page: %d messages, next %q", len(p.Messages), p.NextCursor)
		}
		webtest.WantData(t, phone.API(http.MethodGet, "/api/v1/messages?after="+p.NextCursor, nil), http.StatusOK, &p)
		if len(p.Messages) != 4 || p.NextCursor != "" || p.Messages[3].ID != m.ID {
			t.Fatalf("second page: %+v", p)
		}
		var all struct {
			Marked int `json:"marked"`
		}
		webtest.WantData(t, phone.API(http.MethodPost, "/api/v1/messages/read-all", nil), http.StatusOK, &all)
		if all.Marked != inbox.PageSize+3 || unreadOf(t, phone) != 0 {
			t.Fatalf("read-all marked %d", all.Marked)
		}
	})
}
