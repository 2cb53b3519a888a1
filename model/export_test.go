package model

// SearchOracle tells whether the SQLite index would find piece in text,
// in Go: the terms of ftsPhraseTerms in a row among those of ftsTokens.
// Tests compare both engines with it.
func SearchOracle(text, piece string) bool {
	toks := ftsTokens(text)
	want, prefix := ftsPhraseTerms(piece)
	if len(want) == 0 {
		return false
	}
	for i := 0; i+len(want) <= len(toks); i++ {
		ok := true
		for k, w := range want {
			t := toks[i+k]
			if k == len(want)-1 && prefix {
				ok = len(t) >= len(w) && t[:len(w)] == w
			} else {
				ok = t == w
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// FTSTokens exposes the SQLite index's terms, the symbol stand-in as "·".
func FTSTokens(text string) []string {
	toks := ftsTokens(text)
	for i, t := range toks {
		if t == fts0012SymbolTerm {
			toks[i] = "·"
		}
	}
	return toks
}

// RequireMroonga exposes the check of migration 12.
var RequireMroonga = fts0012RequireMroonga
