package handler_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// FillBoard puts n open questions by asker on board key, two to a second,
// and returns their ids newest first.
func FillBoard(t *testing.T, db *model.DB, key string, asker model.User, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	var b model.Board
	if err := db.Conn(ctx).Where("`key` = ?", key).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	rows := make([]model.Question, n)
	for i := range rows {
		at := start.Add(time.Duration(i/2) * time.Second)
		rows[i] = model.Question{BoardID: b.ID, UniversityID: *asker.UniversityID, AskerID: asker.ID,
			Title: fmt.Sprintf("翻页问题%02d", i), Body: strings.Repeat("正文", 50), Status: model.QuestionOpen,
			DueAt: at.Add(24 * time.Hour), CreatedAt: at, UpdatedAt: at}
	}
	if err := db.Conn(ctx).CreateInBatches(rows, 50).Error; err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, n)
	for i, r := range rows {
		ids[n-1-i] = r.ID
	}
	return ids
}

var (
	reItemID   = regexp.MustCompile(`class="cell cell-link question-item" href="/h5/questions/(\d+)"`)
	rePrevLink = regexp.MustCompile(`<a href="([^"]+)">‹ 上一页</a>`)
	reNextLink = regexp.MustCompile(`<a href="([^"]+)">下一页 ›</a>`)
)

// listed is the question ids of a list page and its links.
func listed(t *testing.T, r *Resp) (ids []string, prev, next string) {
	t.Helper()
	WantStatus(t, r, http.StatusOK)
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
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		asker := s.Member("pga", CodeSZU, model.RoleStudent)
		reader := s.Phone(s.Member("pgb", CodeSZU, model.RoleStudent))
		board := "/h5/boards/u-" + CodeSZU
		all := idStrings(FillBoard(t, db, "u-"+CodeSZU, asker.User, 45))

		// Page by page with the links, and back.
		var pages [][]string
		var prevs []string
		link := board
		for link != "" {
			r := reader.Get(link)
			ids, prev, next := listed(t, r)
			WantBody(t, r, fmt.Sprintf("第 %d 页", len(pages)+1))
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
			WantBody(t, r, fmt.Sprintf("第 %d 页", i))
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
		WantRedirect(t, reader.Get(board+"?after=garbage&page=4"), http.StatusSeeOther, board)
		WantRedirect(t, reader.Get(board+"?unanswered=1&before=1.2"), http.StatusSeeOther, board+"?unanswered=1")

		// My questions page the same way.
		mine := s.Phone(asker)
		ids, _, next = listed(t, mine.Get("/h5/questions/mine"))
		more, _, last := listed(t, mine.Get(next))
		if !slices.Equal(append(ids, more...), all[:40]) || last == "" {
			t.Fatalf("mine: %v then %v (next %q)", ids, more, last)
		}
	})
}

func TestAPIBoardCursor(t *testing.T) {
	Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := New(t, db, store, Opts{})
		asker := s.Account("apipage1", CodeSZU, "oAPIPageAsker000000000000001", model.RoleStudent)
		c := s.SignIn(s.Account("apipage2", CodeSZU, "oAPIPageReader00000000000001", model.RoleStudent))
		all := FillBoard(t, db, "u-"+CodeSZU, asker, 45)

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
		path := "/api/v1/boards/u-" + CodeSZU + "/questions"
		q := ""
		for {
			list.NextCursor, list.PrevCursor = "", ""
			WantData(t, c.API(http.MethodGet, path+q, nil), http.StatusOK, &list)
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
		WantAPIError(t, c.API(http.MethodGet, path+"?after=nope", nil), http.StatusBadRequest, "bad_cursor", "after")

		// Mine: an array, with the neighbouring pages in Link.
		m := s.SignIn(asker)
		r := m.API(http.MethodGet, "/api/v1/questions/mine", nil)
		var first []listItem
		WantData(t, r, http.StatusOK, &first)
		links := r.Header.Get("Link")
		next := regexp.MustCompile(`^<(/api/v1/questions/mine\?after=[^>]+)>; rel="next"$`).FindStringSubmatch(links)
		if len(first) != 20 || next == nil {
			t.Fatalf("mine: %d items, Link %q", len(first), links)
		}
		r = m.API(http.MethodGet, next[1], nil)
		var second []listItem
		WantData(t, r, http.StatusOK, &second)
		if len(second) != 20 || second[0].ID != all[20] || !strings.Contains(r.Header.Get("Link"), `rel="prev"`) {
			t.Fatalf("mine page 2: %d items from %d, Link %q", len(second), second[0].ID, r.Header.Get("Link"))
		}
	})
}
