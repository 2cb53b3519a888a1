package question_test

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/service/question"
)

func TestParseWords(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		n    int
	}{
		{"empty", "", 0},
		{"comments and blank lines", "# 注释\n\n   \n\t# 缩进的注释\n代考\n", 1},
		{"CRLF line ends", "代考\r\n赌博网站\r\n", 2},
		{"duplicates after normalising", "代考\n代 考\n代-考\nABC\nabc\n", 2},
		{"punctuation-only line", "……\n--\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := question.ParseWords([]byte(tc.raw)).Len(); got != tc.n {
				t.Fatalf("Len = %d, want %d", got, tc.n)
			}
		})
	}

	// The shipped list: every non-comment line is a word.
	want := 0
	sc := bufio.NewScanner(bytes.NewReader(config.DefaultSensitiveWords))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			want++
		}
	}
	if got := question.ParseWords(config.DefaultSensitiveWords).Len(); got != want || got < 5 {
		t.Fatalf("default list has %d words, want %d", got, want)
	}
}

func TestWordsMatch(t *testing.T) {
	def := question.ParseWords(config.DefaultSensitiveWords)
	custom := question.ParseWords([]byte("# 注释行\n#赌博\n\n  VPN翻墙  \nAbc\n12306\n"))
	cases := []struct {
		name  string
		w     *question.Words
		texts []string
		want  string
	}{
		{"exact", def, []string{"代考"}, "代考"},
		{"inside a sentence", def, []string{"有没有人可以代考高数？"}, "代考"},
		{"space between characters", def, []string{"代 考"}, "代考"},
		{"full-width space", def, []string{"代\u3000考"}, "代考"},
		{"hyphen", def, []string{"代-考"}, "代考"},
		{"Chinese punctuation", def, []string{"代，考", "x"}, "代考"},
		{"line break and tab", def, []string{"代\n\t考"}, "代考"},
		{"symbols and emoji", def, []string{"赌*博😀网·站"}, "赌博网站"},
		{"second text", def, []string{"正常标题", "正文里有代考"}, "代考"},
		{"unrelated text", def, []string{"我想考研究生", "代理考试报名"}, ""},
		{"half a word", def, []string{"赌博"}, ""},
		{"split across texts", def, []string{"代", "考"}, ""},
		{"no texts", def, nil, ""},
		{"ASCII is case-insensitive", custom, []string{"abc"}, "abc"},
		{"ASCII upper case", custom, []string{"xABCx"}, "abc"},
		{"mixed script, case and spaces", custom, []string{"v p n 翻 墙"}, "vpn翻墙"},
		{"digits", custom, []string{"订票上 1-2-3-0-6"}, "12306"},
		{"digits do not match partly", custom, []string{"1230"}, ""},
		{"a comment is not a word", custom, []string{"赌博"}, ""},
		{"a comment line's text is not a word", custom, []string{"注释行"}, ""},
		{"empty list", question.ParseWords(nil), []string{"代考"}, ""},
		{"nil list", nil, []string{"代考"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Match(tc.texts...); got != tc.want {
				t.Fatalf("Match(%q) = %q, want %q", tc.texts, got, tc.want)
			}
		})
	}
}

// spaced puts a space and a full stop between every character of s.
func spaced(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		b.WriteString(" 。")
	}
	return b.String()
}

// asciiUpper upper-cases ASCII letters only.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func FuzzWordsMatch(f *testing.F) {
	def := question.ParseWords(config.DefaultSensitiveWords)
	for _, s := range [][3]string{
		{"", "代考", ""},
		{"请问", "代 考", "可以吗"},
		{"abc", "VPN", "翻墙"},
		{"\xe4\xbb", "\xa3考", "\xff"},
		{"赌博", "网", "站"},
		{"", "# comment\nword", ""},
		{"", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, prefix, word, suffix string) {
		x := prefix + word + suffix
		m := def.Match(x)
		if m != "" {
			// Containment: more text around a match still matches.
			if def.Match(x+"任意") == "" || def.Match("任意"+x) == "" || def.Match("正常", x) != m {
				t.Fatalf("Match(%q) = %q, but not with more text", x, m)
			}
			// What is returned is a listed word, and it matches itself.
			if def.Match(m) == "" {
				t.Fatalf("Match(%q) = %q, which is not a listed word", x, m)
			}
		}
		// Blanks and punctuation between characters and ASCII case change
		// nothing.
		if got := def.Match(spaced(x)); got != m {
			t.Fatalf("Match(spaced %q) = %q, Match(%q) = %q", spaced(x), got, x, m)
		}
		if got := def.Match(asciiUpper(x)); got != m {
			t.Fatalf("Match(upper %q) = %q, Match(%q) = %q", asciiUpper(x), got, x, m)
		}
		// A one-word list finds its word wherever it is put.
		one := question.ParseWords([]byte(word))
		if one.Len() == 1 {
			if one.Match(x) == "" {
				t.Fatalf("list %q does not match %q", word, x)
			}
			if one.Match(prefix+spaced(word)+suffix) == "" {
				t.Fatalf("list %q does not match its word spaced out in %q", word, prefix+spaced(word)+suffix)
			}
		}
	})
}
