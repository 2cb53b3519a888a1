package h5_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

var (
	reItemID   = regexp.MustCompile(`class="cell cell-link question-item" href="/h5/questions/(\d+)"`)
	rePrevLink = regexp.MustCompile(`<a href="([^"]+)">‹ 上一页</a>`)
	reNextLink = regexp.MustCompile(`<a href="([^"]+)">下一页 ›</a>`)
)

// listed is the question ids of a list page and its links.
func listed(t *testing.T, r *webtest.Resp) (ids []string, prev, next string) {
	t.Helper()
	webtest.WantStatus(t, r, http.StatusOK)
	for _, m := range reItemID.FindAllStringSubmatch(r.Body, -1) {
		ids = append(ids, m[1])
	}
	if m := rePrevLink.FindStringSubmatch(r.Body); m != nil {
		prev = html.UnescapeString(m[1])
	}
	if m := reNextLink.FindStringSubmatch(r.Body); m != nil {
		next = html.UnescapeString(m[1])
	}
	return ids, prev, next
}

func idStrings(ids []uint64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint(id)
	}
	return out
}

func TestBoardPagesByCursor(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		asker := s.Member("pga", webtest.CodeSZU, model.RoleStudent)
		reader := s.Phone(s.Member("pgb", webtest.CodeSZU, model.RoleStudent))
		board := "/h5/boards/u-" + webtest.CodeSZU
		all := idStrings(webtest.FillBoard(t, db, "u-"+webtest.CodeSZU, asker.User, 45))

		// Page by page with the links, and back.
		var pages [][]string
		var prevs []string
		link := board
		for link != "" {
			r := reader.Get(link)
			ids, prev, next := listed(t, r)
			webtest.WantBody(t, r, fmt.Sprintf("第 %d 页", len(pages)+1))
			if (len(pages) == 0) != (prev == "") {
				t.Fatalf("page %d: previous link %q", len(pages)+1, prev)
			}
			pages, prevs, link = append(pages, ids), append(prevs, prev), next
		}
		if len(pages) != 3 || !slices.Equal(slices.Concat(pages...), all) {
			t.Fatalf("pages %v, want %v in 3 pages", pages, all)
		}
		for i := 2; i > 0; i-- {
			r := reader.Get(prevs[i])
			ids, _, _ := listed(t, r)
			webtest.WantBody(t, r, fmt.Sprintf("第 %d 页", i))
			if !slices.Equal(ids, pages[i-1]) {
				t.Fatalf("back to page %d: %v, want %v", i, ids, pages[i-1])
			}
		}

		// Old links by number still work, and lead on by cursor.
		ids, prev, next := listed(t, reader.Get(board+"?page=2"))
		if !slices.Equal(ids, pages[1]) || prev == "" || !strings.Contains(next, "after=") || !strings.Contains(next, "page=3") {
			t.Fatalf("?page=2: %v prev %q next %q; want %v", ids, prev, next, pages[1])
		}

		// A mangled link opens the first page of the same tab.
		webtest.WantRedirect(t, reader.Get(board+"?after=garbage&page=4"), http.StatusSeeOther, board)
		webtest.WantRedirect(t, reader.Get(board+"?unanswered=1&before=1.2"), http.StatusSeeOther, board+"?unanswered=1")

		// My questions page the same way.
		mine := s.Phone(asker)
		ids, _, next = listed(t, mine.Get("/h5/questions/mine"))
		more, _, last := listed(t, mine.Get(next))
		if !slices.Equal(append(ids, more...), all[:40]) || last == "" {
			t.Fatalf("mine: %v then %v (next %q)", ids, more, last)
		}
	})
}
