package account

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/service"
)

// FuzzParseImport feeds arbitrary files to the CSV reader behind both
// imports (accounts and universities, uploaded by admins): it never
// panics, a rejected file always says why, and an accepted one gives
// every row one cell per header column, in file order.
func FuzzParseImport(f *testing.F) {
	for _, seed := range []string{
		"account,password,university_code\nstudent01,abc12345,4144010558\n",
		"\uFEFF账号,密码,学校代码,姓名\nstudent01,abc12345,4144010558,张三\nshort,row\n",
		"code,name,city,level,ownership\n4144010558,中山大学,广州市,本科,公办\n",
		"account,password,university_code\n\"broken,quote\n",
		"account,account,password,university_code\n",
		"", "\n", "a\r\nb\r\n", "\xff\xfe",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, universities bool) {
		columns := accountColumns
		if universities {
			columns = universityColumns
		}
		file, err := parseImport(bytes.NewReader(raw), columns)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("rejected without problems: %v", err)
			}
			if !errors.Is(err, service.ErrInvalid) {
				t.Fatalf("a rejected file is not ErrInvalid: %v", err)
			}
			for _, p := range ie.Problems {
				if p.Line < 0 || p.Reason == "" || !utf8.ValidString(p.Reason) {
					t.Fatalf("problem %+v", p)
				}
			}
			return
		}
		for _, c := range columns {
			if _, ok := file.col[c.field]; c.required && !ok {
				t.Fatalf("accepted without the required column %s", c.field)
			}
		}
		if len(file.rows) == 0 && len(file.problems) == 0 {
			t.Fatal("accepted a file with nothing in it")
		}
		last := 1 // the header
		for _, r := range file.rows {
			if r.line <= last {
				t.Fatalf("row at line %d after line %d", r.line, last)
			}
			last = r.line
			for field, i := range file.col {
				if i >= len(r.fields) {
					t.Fatalf("row at line %d has %d cells, column %s is cell %d", r.line, len(r.fields), field, i)
				}
			}
		}
	})
}
