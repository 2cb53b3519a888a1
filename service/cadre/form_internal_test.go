package cadre

import "testing"

// Phones as offices type them, and as Excel stores a phone typed into a
// cell formatted as a number.
func TestFormDigits(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":       "13812345678",
		"1.3812345678E10":   "13812345678",
		"1.3812345678E+10":  "13812345678",
		"13812345678.0":     "13812345678",
		"１３８ １２３４ ５６７８":     "13812345678",
		"138-1234-5678":     "13812345678",
		"+86 138 1234 5678": "13812345678",
		"1.38E10":           "13800000000",
		"138 1234 567":      "1381234567", // still wrong: validate says so
	} {
		if got := digits(in); got != want {
			t.Errorf("digits(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cleanName("张  三"); got != "张三" {
		t.Errorf("cleanName = %q", got)
	}
	if got := cleanName("Li Ming"); got != "Li Ming" {
		t.Errorf("cleanName kept %q", got)
	}
}
