package service

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText is what the services keep of text a user typed: line breaks
// normalised to \n, surrounding space trimmed, and the characters that
// show nothing dropped: control characters other than newline and tab,
// invalid UTF-8, format characters (zero-width spaces and joiners, bidi
// overrides, BOM) and the "blank" letters used to fake an empty name. So
// a title of zero-width spaces counts as empty, and a name cannot flip the
// text around it.
func CleanText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Cf, r) || blankLetter(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// CleanLine is CleanText on one line: runs of space (including line
// breaks) become one space.
func CleanLine(s string) string {
	return strings.Join(strings.Fields(CleanText(s)), " ")
}

// blankLetter reports letters and symbols that render as empty space but
// are not Unicode white space.
func blankLetter(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u2800', '\u3164', '\uFFA0':
		return true
	}
	return false
}
