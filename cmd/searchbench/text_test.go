package main

import (
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/cmd/internal/benchtext"
)

func TestNoHitWordCannotOccur(t *testing.T) {
	all := append(append(append(append(append([]string{}, topics...), benchtext.AskStarts...), benchtext.AskMiddles...), benchtext.BodyPieces...), benchtext.Glue...)
	all = append(all, "关于", "，", "？")
	for _, piece := range all {
		if strings.ContainsAny(piece, noHitWord) {
			t.Fatalf("%q shares a character with %q", piece, noHitWord)
		}
	}
	for _, w := range []string{commonWord, secondWord, rareWord, latinWord} {
		found := false
		for _, tp := range topics {
			found = found || strings.Contains(tp, w)
		}
		if !found {
			t.Fatalf("%q is in no topic", w)
		}
	}
}
