package question

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// Whatever the query, parseQuery refuses it with one of its two messages
// or returns 1 to MaxSearchWords distinct pieces of 2 to maxSearchPiece
// letters and digits: nothing an engine's query syntax reads as an
// operator, nothing that cannot be searched through an index.
func FuzzParseSearchQuery(f *testing.F) {
	for _, s := range []string{
		"奖学金", "国家 奖学金", "CET-4，奖学金", `"奖学金" +宿舍 -空调 OR *`, `\" OR 1=1 --`, "调", "a b c",
		"一二三四五六七八九十一二三四五六七八九十一二三", "a1 b2 c3 d4 e5 f6 g7", "\xff\xfe", "ＣＥＴ４", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		pieces, err := parseQuery(query)
		if err != nil {
			var e *service.Error
			if !errors.As(err, &e) || !errors.Is(err, service.ErrInvalid) || (e.Code != "empty_query" && e.Code != "query_too_short") {
				t.Fatalf("parseQuery(%q): %v", query, err)
			}
			for _, p := range model.SearchPieces(service.CleanText(query)) {
				if utf8.RuneCountInString(p) >= minSearchPiece {
					t.Fatalf("parseQuery(%q) refused a query with the piece %q", query, p)
				}
			}
			return
		}
		if len(pieces) == 0 || len(pieces) > MaxSearchWords {
			t.Fatalf("parseQuery(%q) = %d pieces", query, len(pieces))
		}
		seen := map[string]bool{}
		for _, p := range pieces {
			if n := utf8.RuneCountInString(p); n < minSearchPiece || n > maxSearchPiece || seen[p] {
				t.Fatalf("parseQuery(%q): piece %q (%d characters, repeated %v)", query, p, n, seen[p])
			}
			seen[p] = true
			if got := model.SearchPieces(p); len(got) != 1 || got[0] != p || strings.ContainsAny(p, "\"\\*+-()<>~@ \t\n") {
				t.Fatalf("parseQuery(%q): piece %q is not plain letters and digits", query, p)
			}
		}
	})
}
