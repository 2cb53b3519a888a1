package question_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// t0 is when every fixture's clock starts (17:00 Beijing time).
var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// fixture is three universities with their people:
//
//	A: admin, two bound cadres, one unbound cadre, three students
//	B: admin, one cadre, one student
//	C: admin and an unbound admin, no cadre, one student
//
// plus two province admins.
type fixture struct {
	db    *model.DB
	clk   *clock.Fake
	n     *notify.Notifier
	words *question.Words
	svc   *question.Service

	uniA, uniB, uniC model.University

	province, province2              model.User
	adminA, adminB, adminC           model.User
	adminCUnbound                    model.User
	cadreA1, cadreA2, cadreAUnbound  model.User
	cadreB                           model.User
	studentA, studentA2, studentA3   model.User
	studentB, studentC, noUniversity model.User
}

func setup(t *testing.T, db *model.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, clk: clock.NewFake(t0)}
	f.n = servicetest.Notifier(t, db, f.clk)
	f.words = question.ParseWords(config.DefaultSensitiveWords)
	f.svc = f.newService(t)

	var unis []model.University
	if err := db.Conn(ctx).Order("id").Limit(3).Find(&unis).Error; err != nil || len(unis) != 3 {
		t.Fatalf("universities: %d, %v", len(unis), err)
	}
	f.uniA, f.uniB, f.uniC = unis[0], unis[1], unis[2]
	a, b, c := &f.uniA.ID, &f.uniB.ID, &f.uniC.ID

	f.province = servicetest.NewNamedUser(t, db, model.RoleProvinceAdmin, nil, true, "省团委")
	f.province2 = servicetest.NewNamedUser(t, db, model.RoleProvinceAdmin, nil, true, "")
	f.adminA = servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, a, true, "甲校团委")
	f.adminB = servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, b, true, "乙校团委")
	f.adminC = servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, c, true, "丙校团委")
	f.adminCUnbound = servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, c, false, "")
	f.cadreA1 = servicetest.NewNamedUser(t, db, model.RoleCadre, a, true, "王老师")
	f.cadreA2 = servicetest.NewNamedUser(t, db, model.RoleCadre, a, true, "赵干部")
	f.cadreAUnbound = servicetest.NewNamedUser(t, db, model.RoleCadre, a, false, "")
	f.cadreB = servicetest.NewNamedUser(t, db, model.RoleCadre, b, true, "乙校干部")
	f.studentA = servicetest.NewNamedUser(t, db, model.RoleStudent, a, true, "李四")
	f.studentA2 = servicetest.NewNamedUser(t, db, model.RoleStudent, a, true, "")
	f.studentA3 = servicetest.NewNamedUser(t, db, model.RoleStudent, a, true, "")
	f.studentB = servicetest.NewNamedUser(t, db, model.RoleStudent, b, true, "")
	f.studentC = servicetest.NewNamedUser(t, db, model.RoleStudent, c, true, "")
	f.noUniversity = servicetest.NewNamedUser(t, db, model.RoleStudent, nil, true, "")
	return f
}

// newService is another instance sharing the database, clock and outbox.
func (f *fixture) newService(t *testing.T) *question.Service {
	t.Helper()
	svc, err := question.New(f.db, f.clk, f.n, f.words, servicetest.DiscardLog())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (f *fixture) ask(t *testing.T, u model.User, board, title, body string, anonymous bool) model.Question {
	t.Helper()
	q, err := f.svc.Ask(context.Background(), u, question.AskInput{BoardKey: board, Title: title, Body: body, Anonymous: anonymous})
	if err != nil {
		t.Fatalf("ask %q: %v", title, err)
	}
	return q
}

func (f *fixture) answer(t *testing.T, u model.User, qid uint64, body string) model.Answer {
	t.Helper()
	a, err := f.svc.Answer(context.Background(), u, qid, body)
	if err != nil {
		t.Fatalf("answer %d: %v", qid, err)
	}
	return a.Answer
}

func (f *fixture) reload(t *testing.T, id uint64) model.Question {
	t.Helper()
	var q model.Question
	if err := f.db.Conn(context.Background()).Take(&q, id).Error; err != nil {
		t.Fatal(err)
	}
	return q
}

// alerts are the outbox rows of one template, oldest first.
func (f *fixture) alerts(t *testing.T, key alertkind.Kind) []model.TemplateMessage {
	t.Helper()
	return servicetest.Alerts(t, f.db, key)
}

// alertsFor are the outbox rows of one template about question id.
func (f *fixture) alertsFor(t *testing.T, key alertkind.Kind, id uint64) []model.TemplateMessage {
	t.Helper()
	var out []model.TemplateMessage
	for _, m := range f.alerts(t, key) {
		if strings.HasSuffix(m.URL, questionNext(id)) {
			out = append(out, m)
		}
	}
	return out
}

// questionNext is how the alert URL names question id's page.
func questionNext(id uint64) string { return fmt.Sprintf("next=%%2Fh5%%2Fquestions%%2F%d", id) }

func runes(s string, n int) string { return strings.Repeat(s, n) }

func maxRunes(d map[string]string) int {
	m := 0
	for _, v := range d {
		m = max(m, utf8.RuneCountInString(v))
	}
	return m
}

// list is the first page of a board's list.
func (f *fixture) list(ctx context.Context, viewer model.User, key string, o question.ListOptions) ([]question.Summary, error) {
	_, p, err := f.svc.List(ctx, viewer, key, o)
	return p.Items, err
}

// mine is the first page of u's questions.
func (f *fixture) mine(ctx context.Context, u model.User) ([]question.Summary, error) {
	p, err := f.svc.Mine(ctx, u, question.PageOptions{})
	return p.Items, err
}

// ids lists the question ids of summaries in order.
func ids(ss []question.Summary) []uint64 {
	out := make([]uint64, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func sameIDs(got []uint64, want ...uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func boolPtr(b *bool) string {
	if b == nil {
		return "NULL"
	}
	return fmt.Sprint(*b)
}
