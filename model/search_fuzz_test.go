package model

import (
	"testing"
	"unicode/utf8"
)

// Whatever the text, every piece a query could cut from it finds it: the
// phrase built for the query (ftsPhraseTerms) lines up with the terms the
// index holds (ftsTokens). A piece cut inside a run of Chinese characters
// finds it too; inside a run of letters or digits it need not (a Latin
// word matches whole).
func FuzzSearchPhrase(f *testing.F) {
	for _, s := range []string{
		"我要考CET4英语四级，Python入门", "国家励志奖学金", "cet-4 ＣＥＴ４ 50%", "考试cet", "cet考试",
		"a考b", "“奖学金”", "Ωμέγα Привет 한국어 テスト", "\xff\xfe奖学", "",
	} {
		f.Add(s, uint8(0), uint8(255))
	}
	f.Fuzz(func(t *testing.T, text string, from, to uint8) {
		pieces := SearchPieces(text)
		for _, p := range pieces {
			if !utf8.ValidString(p) || len(SearchPieces(p)) != 1 || SearchPieces(p)[0] != p {
				t.Fatalf("piece %q of %q is not stable under SearchPieces", p, text)
			}
			if utf8.RuneCountInString(p) < 2 {
				continue
			}
			if !SearchOracle(text, p) {
				t.Fatalf("piece %q does not find its own text %q (terms %q)", p, text, ftsTokens(text))
			}
		}
		if len(pieces) == 0 {
			return
		}
		rs := []rune(pieces[0])
		i, j := int(from)%(len(rs)+1), int(to)%(len(rs)+1)
		if i > j {
			i, j = j, i
		}
		// A cut between two letters or two digits splits a word.
		split := func(k int) bool {
			return k > 0 && k < len(rs) && ftsClass(rs[k-1]) == ftsClass(rs[k]) && ftsClass(rs[k]) != fts0012Ngram
		}
		if j-i < 2 || split(i) || split(j) {
			return
		}
		sub := string(rs[i:j])
		if len(SearchPieces(sub)) != 1 || SearchPieces(sub)[0] != sub {
			return // normalises differently on its own (rare compositions)
		}
		if !SearchOracle(text, sub) {
			t.Fatalf("%q, cut from %q, does not find it (terms %q, phrase %s)", sub, text, ftsTokens(text), ftsPhrase(sub))
		}
	})
}
