package question

import (
	"bufio"
	"bytes"
	"strings"
	"unicode"
)

// Words is a sensitive-word list. Matching ignores case, blanks and
// punctuation placed between the characters of a word ("代 考", "代-考").
type Words struct {
	words []string
}

// ParseWords reads one word per line; blank lines and # comments are
// skipped.
func ParseWords(raw []byte) *Words {
	w := &Words{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n := normalize(line)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		w.words = append(w.words, n)
	}
	return w
}

// Len is the number of words.
func (w *Words) Len() int { return len(w.words) }

// Match returns the first listed word found in any of texts, or "".
func (w *Words) Match(texts ...string) string {
	if w == nil || len(w.words) == 0 {
		return ""
	}
	for _, t := range texts {
		n := normalize(t)
		for _, word := range w.words {
			if strings.Contains(n, word) {
				return word
			}
		}
	}
	return ""
}

// normalize lower-cases s and drops everything but letters and digits.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
