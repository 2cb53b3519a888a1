package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

func TestAPIBoardCursor(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		asker := s.Account("apipage1", webtest.CodeSZU, "oAPIPageAsker000000000000001", model.RoleStudent)
		c := s.SignIn(s.Account("apipage2", webtest.CodeSZU, "oAPIPageReader00000000000001", model.RoleStudent))
		all := webtest.FillBoard(t, db, "u-"+webtest.CodeSZU, asker, 45)

		type listItem struct {
			ID      uint64  `json:"id"`
			Body    *string `json:"body"`
			Excerpt string  `json:"excerpt"`
		}
		var list struct {
			Questions  []listItem `json:"questions"`
			NextCursor string     `json:"next_cursor"`
			PrevCursor string     `json:"prev_cursor"`
		}
		var got []uint64
		path := "/api/v1/boards/u-" + webtest.CodeSZU + "/questions"
		q := ""
		for {
			list.NextCursor, list.PrevCursor = "", ""
			webtest.WantData(t, c.API(http.MethodGet, path+q, nil), http.StatusOK, &list)
			for _, it := range list.Questions {
				if it.Body != nil || it.Excerpt != strings.Repeat("正文", 30)+"…" {
					t.Fatalf("list item %+v: want the excerpt and no body", it)
				}
				got = append(got, it.ID)
			}
			if (q == "") != (list.PrevCursor == "") {
				t.Fatalf("%q: prev_cursor %q", q, list.PrevCursor)
			}
			if list.NextCursor == "" {
				break
			}
			q = "?after=" + url.QueryEscape(list.NextCursor)
		}
		if !slices.Equal(got, all) {
			t.Fatalf("walk %v, want %v", got, all)
		}
		webtest.WantAPIError(t, c.API(http.MethodGet, path+"?after=nope", nil), http.StatusBadRequest, "bad_cursor", "after")

		// Mine: an array, with the neighbouring pages in Link.
		m := s.SignIn(asker)
		r := m.API(http.MethodGet, "/api/v1/questions/mine", nil)
		var first []listItem
		webtest.WantData(t, r, http.StatusOK, &first)
		links := r.Header.Get("Link")
		next := regexp.MustCompile(`^<(/api/v1/questions/mine\?after=[^>]+)>; rel="next"$`).FindStringSubmatch(links)
		if len(first) != 20 || next == nil {
			t.Fatalf("mine: %d items, Link %q", len(first), links)
		}
		r = m.API(http.MethodGet, next[1], nil)
		var second []listItem
		webtest.WantData(t, r, http.StatusOK, &second)
		if len(second) != 20 || second[0].ID != all[20] || !strings.Contains(r.Header.Get("Link"), `rel="prev"`) {
			t.Fatalf("mine page 2: %d items from %d, Link %q", len(second), second[0].ID, r.Header.Get("Link"))
		}
	})
}
