package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/stats"
)

// memSink keeps the generated rows by table, as maps column → value (nil
// for NULL), decoded from the very lines LOAD DATA would read.
type memSink struct {
	tables map[string][]map[string]*string
}

type memTable struct {
	s     *memSink
	name  string
	cols  []string
	r     row
	rows  int
	lines []map[string]*string
}

func (s *memSink) open(table string, cols []string) tableWriter {
	return &memTable{s: s, name: table, cols: cols}
}

func (w *memTable) next() *row {
	if w.rows > 0 {
		w.r.end()
	}
	w.rows++
	w.r.begin()
	return &w.r
}

func (w *memTable) close() (int, error) {
	if w.rows > 0 {
		w.r.end()
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(w.r.buf), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := parseTSVLine(line)
		if len(f) != len(w.cols) {
			return 0, fmt.Errorf("%s: %d fields for %d columns in %q", w.name, len(f), len(w.cols), line)
		}
		m := map[string]*string{}
		for i, c := range w.cols {
			m[c] = f[i]
		}
		w.lines = append(w.lines, m)
	}
	if w.s.tables == nil {
		w.s.tables = map[string][]map[string]*string{}
	}
	w.s.tables[w.name] = w.lines
	return w.rows, nil
}

// testUnis stands for the 166 seeded universities and their boards.
func testUnis() ([]uni, []uint64) {
	var us []uni
	for i := 1; i <= 166; i++ {
		us = append(us, uni{ID: uint64(i), Code: fmt.Sprintf("41440%05d", i), Name: fmt.Sprintf("测试大学%d", i), Board: uint64(6 + i)})
	}
	return us, []uint64{1, 2, 3, 4, 5, 6}
}

var testNow = time.Date(2026, 3, 15, 6, 30, 0, 0, time.UTC)

func generate(t *testing.T, f float64, seed uint64) (*generator, *memSink) {
	t.Helper()
	unis, prov := testUnis()
	v := fullVolume().scaled(f)
	v.CadresPerUni = 3
	g := newGenerator(v, seed, testNow, unis, prov, "$2a$10$hash")
	s := &memSink{}
	for _, step := range g.tables() {
		if _, err := step.fn(s); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	return g, s
}

func ts(t *testing.T, v *string) time.Time {
	t.Helper()
	if v == nil {
		return time.Time{}
	}
	x, err := time.Parse("2006-01-02 15:04:05", *v)
	if err != nil {
		t.Fatalf("time %q: %v", *v, err)
	}
	return x
}

func num(t *testing.T, v *string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(*v, 10, 64)
	if err != nil {
		t.Fatalf("number %q: %v", *v, err)
	}
	return n
}

func TestGeneratorIsDeterministic(t *testing.T) {
	_, a := generate(t, 0.002, 7)
	_, b := generate(t, 0.002, 7)
	_, c := generate(t, 0.002, 8)
	for _, table := range []string{"users", "questions", "answers", "bookings", "interactions"} {
		if fmt.Sprint(a.tables[table]) == "" || len(a.tables[table]) != len(b.tables[table]) {
			t.Fatalf("%s: %d and %d rows from the same seed", table, len(a.tables[table]), len(b.tables[table]))
		}
		for i := range a.tables[table] {
			for col, v := range a.tables[table][i] {
				w := b.tables[table][i][col]
				if (v == nil) != (w == nil) || (v != nil && *v != *w) {
					t.Fatalf("%s row %d column %s differs between two runs of one seed", table, i, col)
				}
			}
		}
	}
	if *a.tables["questions"][0]["title"] == *c.tables["questions"][0]["title"] && *a.tables["questions"][1]["body"] == *c.tables["questions"][1]["body"] {
		t.Fatal("another seed made the same questions")
	}
}

func TestGeneratorVolumesAndShapes(t *testing.T) {
	g, s := generate(t, 0.005, 1)
	v := g.v
	qs, as, bs := s.tables["questions"], s.tables["answers"], s.tables["bookings"]
	if len(qs) != v.Questions || len(as) != v.Answers || len(s.tables["interactions"]) != v.Interactions {
		t.Fatalf("questions %d/%d answers %d/%d interactions %d/%d", len(qs), v.Questions, len(as), v.Answers,
			len(s.tables["interactions"]), v.Interactions)
	}
	if len(bs) < v.Bookings*99/100 {
		t.Fatalf("bookings %d of %d", len(bs), v.Bookings)
	}
	students, bound := 0, 0
	signIn := regexp.MustCompile(`^[A-Za-z0-9]{6,32}$`) // service/account's credentialRE
	for _, u := range s.tables["users"] {
		if !signIn.MatchString(*u["account"]) || *u["account_key"] != strings.ToLower(*u["account"]) {
			t.Fatalf("account %q (key %q) cannot sign in", *u["account"], *u["account_key"])
		}
		if *u["roles"] != strconv.Itoa(model.RoleBit(*u["role"])) {
			t.Fatalf("account %q: role %s, roles %s", *u["account"], *u["role"], *u["roles"])
		}
		if *u["role"] == model.RoleStudent {
			students++
			if u["openid"] != nil {
				bound++
				if u["activated_at"] == nil || u["bound_at"] == nil {
					t.Fatal("a bound student without activated_at / bound_at")
				}
			}
		}
	}
	if students != v.Students || bound < students*75/100 || bound > students*85/100 {
		t.Fatalf("%d students (want %d), %d bound (want about 80%%)", students, v.Students, bound)
	}

	// Questions: ids in time order, the services' columns consistent.
	var prev time.Time
	count := map[string]int{}
	answered, anonymous, overdueOpen := 0, 0, 0
	askers := map[string]bool{}
	for i, q := range qs {
		created := ts(t, q["created_at"])
		if created.Before(prev) || created.After(testNow) || created.Before(testNow.AddDate(0, -13, -1)) {
			t.Fatalf("question %d created %s (previous %s, now %s)", i, created, prev, testNow)
		}
		prev = created
		if !ts(t, q["due_at"]).Equal(created.Add(question.AnswerWithin)) {
			t.Fatalf("question %d: due_at %s for created %s", i, *q["due_at"], created)
		}
		count[*q["status"]]++
		if *q["anonymous"] == "1" {
			anonymous++
		}
		askers[*q["asker_id"]] = true
		if fa := q["first_answered_at"]; fa != nil {
			answered++
			secs := num(t, q["first_response_seconds"])
			if !ts(t, fa).Equal(created.Add(time.Duration(secs)*time.Second)) || ts(t, fa).After(testNow) {
				t.Fatalf("question %d: first answer %s, %d s after %s", i, *fa, secs, created)
			}
			if kept := *q["promise_kept"] == "1"; kept != (secs <= 86400) {
				t.Fatalf("question %d: promise_kept %v after %d s", i, kept, secs)
			}
			if secs > 20*3600+30 && q["reminded_at"] == nil || secs > 86400+30 && q["overdue_at"] == nil {
				t.Fatalf("question %d answered after %d s without the sweeps' marks", i, secs)
			}
			if secs < 20*3600 && q["reminded_at"] != nil {
				t.Fatalf("question %d answered after %d s but reminded", i, secs)
			}
		} else if q["first_response_seconds"] != nil {
			t.Fatalf("question %d: first_response_seconds without first_answered_at", i)
		}
		due := ts(t, q["due_at"])
		if *q["status"] == model.QuestionOpen {
			if q["first_answered_at"] != nil {
				t.Fatalf("open question %d has an answer", i)
			}
			// What the sweep would find due now must already be marked:
			// the sweep with nothing due has nothing to do.
			if testNow.After(due.Add(time.Minute)) {
				overdueOpen++
				if q["overdue_at"] == nil || q["reminded_at"] == nil {
					t.Fatalf("open question %d overdue since %s without overdue_at / reminded_at", i, due)
				}
			}
		}
		if *q["status"] == model.QuestionResolved && *q["rating"] == "" {
			t.Fatalf("resolved question %d without a rating", i)
		}
		if (*q["status"] == model.QuestionHidden) != (*q["hidden_reason"] != "") {
			t.Fatalf("question %d: status %s, hidden reason %q", i, *q["status"], *q["hidden_reason"])
		}
		if q["rejected_at"] != nil && (*q["status"] != model.QuestionHidden || q["first_answered_at"] != nil) {
			t.Fatalf("rejected question %d: status %s", i, *q["status"])
		}
	}
	share := func(n int) float64 { return float64(n) / float64(len(qs)) }
	if a := share(answered); a < 0.82 || a > 0.88 {
		t.Fatalf("%.3f of the questions answered, want about 0.85", a)
	}
	if a := share(anonymous); a < 0.08 || a > 0.12 {
		t.Fatalf("%.3f anonymous, want about 0.10", a)
	}
	if overdueOpen == 0 || count[model.QuestionResolved] == 0 || count[model.QuestionHidden] == 0 || count[model.QuestionReview] == 0 {
		t.Fatalf("statuses %v, %d overdue: every shape must occur", count, overdueOpen)
	}
	if len(askers) < 100 {
		t.Fatalf("only %d askers", len(askers))
	}

	// Answers: each after its question's first answer, first answers by
	// cadres or admins, ids in time order.
	byID := map[string]map[string]*string{}
	for _, q := range qs {
		byID[*q["id"]] = q
	}
	roles := map[string]string{}
	for _, u := range s.tables["users"] {
		roles[*u["id"]] = *u["role"]
	}
	prev = time.Time{}
	hidden := 0
	for i, a := range as {
		q := byID[*a["question_id"]]
		at := ts(t, a["created_at"])
		if q == nil || q["first_answered_at"] == nil || at.Before(ts(t, q["first_answered_at"])) || at.After(testNow) || at.Before(prev) {
			t.Fatalf("answer %d at %s to question %v", i, at, q)
		}
		prev = at
		role := roles[*a["author_id"]]
		switch *a["kind"] {
		case model.AnswerKindAnswer:
			if role != model.RoleCadre && role != model.RoleUniversityAdm {
				t.Fatalf("answer %d by a %s", i, role)
			}
		case model.AnswerKindFollowUp:
			if *a["author_id"] != *q["asker_id"] {
				t.Fatalf("follow-up %d not by the asker", i)
			}
		}
		if *a["status"] == model.AnswerHidden {
			hidden++
		}
	}
	if hidden == 0 {
		t.Fatal("no hidden answer")
	}

	// Bookings: every status, deadlines from the station's calendar.
	cal := stationHours()
	bst := map[string]int{}
	rated := 0
	for i, b := range bs {
		created := ts(t, b["created_at"])
		due, in := cal.Deadline(created)
		if !ts(t, b["due_at"]).Equal(due.UTC()) || (*b["in_hours"] == "1") != in {
			t.Fatalf("booking %d: due %s in_hours %s, calendar says %s %v", i, *b["due_at"], *b["in_hours"], due, in)
		}
		bst[*b["status"]]++
		if fr := b["first_response_at"]; fr != nil {
			kept := *b["promise_kept"] == "1"
			if kept != !ts(t, fr).After(due) || b["handled_by"] == nil {
				t.Fatalf("booking %d: promise_kept %v for a response at %s due %s", i, kept, *fr, due)
			}
		}
		if *b["status"] == model.BookingSubmitted && testNow.After(due.Add(time.Minute)) && b["escalated_at"] == nil {
			t.Fatalf("booking %d overdue without escalated_at", i)
		}
		if *b["rating"] != "0" {
			rated++
			if *b["status"] != model.BookingServed {
				t.Fatalf("booking %d rated but %s", i, *b["status"])
			}
		}
	}
	for _, st := range []string{model.BookingSubmitted, model.BookingAccepted, model.BookingDeclined, model.BookingProposed,
		model.BookingCancelled, model.BookingServed, model.BookingNoShow} {
		if bst[st] == 0 {
			t.Fatalf("no booking %s: %v", st, bst)
		}
	}
	if rated == 0 {
		t.Fatal("no rated booking")
	}

	// Interactions: bound and unbound openids, oldest first.
	bot := map[string]bool{}
	for _, f := range s.tables["followers"] {
		bot[*f["openid"]] = true
	}
	unbound := 0
	prev = time.Time{}
	for i, x := range s.tables["interactions"] {
		at := ts(t, x["created_at"])
		if at.Before(prev) {
			t.Fatalf("interaction %d out of order", i)
		}
		prev = at
		if !bot[*x["openid"]] {
			t.Fatalf("interaction %d from %s, who is no follower", i, *x["openid"])
		}
		if strings.HasPrefix(*x["openid"], "oSCLx") {
			unbound++
		}
	}
	if unbound == 0 {
		t.Fatal("no interaction from an unbound follower")
	}
}

// At full volume the largest university board holds at least 20,000
// questions (the board row).
func TestLargestBoardAtFullVolume(t *testing.T) {
	unis, prov := testUnis()
	g := newGenerator(fullVolume(), 1, testNow, unis, prov, "")
	if n := g.w[g.largest] * shareOwnBoard * float64(fullVolume().Questions); n < 25_000 {
		t.Fatalf("the largest board gets about %.0f questions", n)
	}
	// The sizes are skewed: the smallest university has far fewer.
	small := 1.0
	for _, w := range g.w {
		small = min(small, w)
	}
	if g.w[g.largest]/small < 10 {
		t.Fatalf("largest/smallest = %.1f", g.w[g.largest]/small)
	}
}

func TestTextHitsCommonWordsAndNeverTheNoHitWord(t *testing.T) {
	for _, list := range textPieces() {
		for _, p := range list {
			if strings.ContainsAny(p, "量缠") {
				t.Fatalf("piece %q has a character of %s: a concatenation could spell it", p, noHitWord)
			}
		}
	}
	words := question.ParseWords(config.DefaultSensitiveWords)
	_, s := generate(t, 0.002, 3)
	hits := 0
	for _, q := range s.tables["questions"] {
		text := *q["title"] + *q["body"]
		if strings.Contains(text, noHitWord) {
			t.Fatalf("question has %s: %s", noHitWord, text)
		}
		if w := words.Match(*q["title"], *q["body"]); w != "" {
			t.Fatalf("generated text has the sensitive word %q: it would be held for review", w)
		}
		if strings.Contains(text, commonWord) {
			hits++
		}
	}
	if share := float64(hits) / float64(len(s.tables["questions"])); share < 0.05 {
		t.Fatalf("%s in only %.3f of the questions", commonWord, share)
	}
}

func TestTimelineStaysInItsMonths(t *testing.T) {
	tl := newTimeline(testNow, 13)
	ts := tl.sorted(newGenerator(fullVolume().scaled(0.001), 1, testNow, nil, nil, "").rng("x"), 20000)
	if time.Unix(ts[0], 0).Before(tl.start) || !time.Unix(ts[len(ts)-1], 0).Before(testNow) {
		t.Fatalf("times from %s to %s outside [%s, %s)", time.Unix(ts[0], 0), time.Unix(ts[len(ts)-1], 0), tl.start, testNow)
	}
	// The quick ranges the page offers all have data: the last 7 days too.
	p, _ := stats.ParsePeriod("", "", testNow)
	week := 0
	for _, x := range ts {
		if x >= p.End.AddDate(0, 0, -7).Unix() {
			week++
		}
	}
	if week < 200 {
		t.Fatalf("only %d of 20,000 events in the last 7 days", week)
	}
}
