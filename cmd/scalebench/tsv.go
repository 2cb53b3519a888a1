package main

import (
	"strconv"
	"strings"
	"time"
)

// Rows are written as LOAD DATA's default text format: fields separated by
// tabs, lines by newlines, \N for NULL, backslash escapes. The generator
// writes straight into the buffer (no []any per row: 10 million rows).

// row builds one line.
type row struct {
	buf   []byte
	first bool
}

func (r *row) sep() {
	if !r.first {
		r.buf = append(r.buf, '\t')
	}
	r.first = false
}

// begin starts a new line.
func (r *row) begin() { r.first = true }

// end closes the line.
func (r *row) end() { r.buf = append(r.buf, '\n') }

func (r *row) null() *row {
	r.sep()
	r.buf = append(r.buf, '\\', 'N')
	return r
}

func (r *row) str(s string) *row {
	r.sep()
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t':
			r.buf = append(r.buf, '\\', 't')
		case '\n':
			r.buf = append(r.buf, '\\', 'n')
		case '\\':
			r.buf = append(r.buf, '\\', '\\')
		case 0:
			r.buf = append(r.buf, '\\', '0')
		default:
			r.buf = append(r.buf, c)
		}
	}
	return r
}

func (r *row) int(n int64) *row {
	r.sep()
	r.buf = strconv.AppendInt(r.buf, n, 10)
	return r
}

func (r *row) uint(n uint64) *row {
	r.sep()
	r.buf = strconv.AppendUint(r.buf, n, 10)
	return r
}

func (r *row) bool(b bool) *row {
	r.sep()
	if b {
		r.buf = append(r.buf, '1')
	} else {
		r.buf = append(r.buf, '0')
	}
	return r
}

// time writes t in UTC, as the application stores times.
func (r *row) time(t time.Time) *row {
	r.sep()
	r.buf = t.UTC().AppendFormat(r.buf, "2006-01-02 15:04:05")
	return r
}

// timeOrNull writes t, or NULL for the zero time.
func (r *row) timeOrNull(t time.Time) *row {
	if t.IsZero() {
		return r.null()
	}
	return r.time(t)
}

// uintOrNull writes n, or NULL for 0.
func (r *row) uintOrNull(n uint64) *row {
	if n == 0 {
		return r.null()
	}
	return r.uint(n)
}

// parseTSVLine splits one line back into fields ("" stands for NULL as
// nil), for the tests.
func parseTSVLine(line string) []*string {
	var out []*string
	for _, f := range strings.Split(line, "\t") {
		if f == `\N` {
			out = append(out, nil)
			continue
		}
		if strings.Contains(f, `\`) {
			f = unescapeTSV.Replace(f)
		}
		out = append(out, &f)
	}
	return out
}

var unescapeTSV = strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\\`, `\`, `\0`, "\x00")
