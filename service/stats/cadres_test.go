package stats_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/stats"
)

// cadreWorld builds the shared fixture for the period 10–19 March 2026
// and a service whose clock reads 20 March noon; rolled builds the
// statistics roll-ups (the active days) first.
func cadreWorld(t *testing.T, db *model.DB, rolled bool) (*servicetest.CadreWorld, *stats.Service) {
	t.Helper()
	w := servicetest.NewCadreWorld(t, db, bj(10, 0, 0, 0))
	svc, err := stats.New(db, clock.NewFake(now))
	if err != nil {
		t.Fatal(err)
	}
	if rolled {
		if _, err := svc.Rebuild(t.Context()); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
	}
	return w, svc
}

// figures is a line's figures as the test compares them (the median in
// seconds, -1 for none).
type figures struct {
	answers, own, province, other    int64
	first, onTime, late, median      int64
	satisfied, rated, bookings, bkOn int64
	activeDays                       int64
}

func figuresOf(f stats.CadreFigures) figures {
	m := int64(-1)
	if f.MedianFirstResponseSeconds != nil {
		m = *f.MedianFirstResponseSeconds
	}
	return figures{f.Answers, f.AnswersOwn, f.AnswersProvince, f.AnswersOther, f.FirstAnswers, f.FirstOnTime, f.FirstLate, m,
		f.Satisfied, f.Rated, f.BookingsHandled, f.BookingsOnTime, f.ActiveDays}
}

func lineOf(t *testing.T, r stats.CadreReport, name string) stats.CadreLine {
	t.Helper()
	for _, l := range r.Cadres {
		if l.RealName == name {
			return l
		}
	}
	t.Fatalf("no line for %s in %d lines", name, len(r.Cadres))
	return stats.CadreLine{}
}

func TestCadreFigures(t *testing.T) {
	for _, rolled := range []bool{false, true} {
		name := "before the roll-ups"
		if rolled {
			name = "roll-ups built"
		}
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				w, svc := cadreWorld(t, db, rolled)
				r, err := svc.Cadres(t.Context(), w.AdminA, stats.CadreQuery{From: w.From, To: w.To})
				if err != nil {
					t.Fatal(err)
				}
				if r.Province || r.University == nil || r.University.Code != w.UniA.Code || len(r.Cadres) != 5 || r.Universities != nil {
					t.Fatalf("the admin's own university: province %v, university %+v, %d lines", r.Province, r.University, len(r.Cadres))
				}
				if (r.ActivityAsOf != nil) != rolled {
					t.Fatalf("active_days_as_of %v with roll-ups built %v", r.ActivityAsOf, rolled)
				}
				days := func(n int64) int64 {
					if rolled {
						return n
					}
					return 0
				}
				for _, tc := range []struct {
					name       string
					want       figures
					registered bool
					status     string
				}{
					{"陈一", figures{3, 3, 0, 0, 2, 1, 1, 57600, 1, 2, 0, 0, days(3)}, true, model.RosterRegistered},
					{"陈二", figures{2, 0, 1, 1, 1, 1, 0, 3600, 0, 1, 0, 0, days(2)}, true, model.RosterRegistered},
					{"陈三", figures{2, 2, 0, 0, 1, 1, 0, 600, 0, 1, 0, 0, days(2)}, true, model.RosterLeft},
					{"陈四", figures{0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0}, false, model.RosterPending},
					{"陈五", figures{0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 2, 1, days(2)}, true, model.RosterRegistered},
				} {
					t.Run(tc.name, func(t *testing.T) {
						l := lineOf(t, r, tc.name)
						if got := figuresOf(l.CadreFigures); got != tc.want {
							t.Errorf("figures\n got %+v\nwant %+v", got, tc.want)
						}
						if l.Registered != tc.registered || l.Status != tc.status || l.StatusName != model.RosterStatusName(tc.status) {
							t.Errorf("registered %v status %s (%s)", l.Registered, l.Status, l.StatusName)
						}
					})
				}
				c3 := lineOf(t, r, "陈三")
				if c3.LeftAt == nil || c3.StatusName != "已离任" {
					t.Errorf("陈三 left at %v, %s", c3.LeftAt, c3.StatusName)
				}
				c1 := lineOf(t, r, "陈一")
				wantRate(t, "陈一 on-time rate", c1.FirstOnTimeRate, 0.5)
				wantRate(t, "陈一 satisfaction", c1.Satisfaction, 0.5)
				wantRate(t, "陈五 booking on-time rate", lineOf(t, r, "陈五").BookingOnTimeRate, 0.5)
				if p := lineOf(t, r, "陈四"); p.FirstOnTimeRate != nil || p.Satisfaction != nil || p.BookingOnTimeRate != nil {
					t.Errorf("待注册: rates %v %v %v, want none", p.FirstOnTimeRate, p.Satisfaction, p.BookingOnTimeRate)
				}
				// The university's total: AdminA's answer is not the roster's.
				want := figures{7, 5, 1, 1, 4, 3, 1, 5400, 1, 4, 2, 1, days(9)}
				if got := figuresOf(r.Total); got != want {
					t.Errorf("total\n got %+v\nwant %+v", got, want)
				}
				// The roster's order: by category, 已注册 before 待注册 before
				// 已离任; the station admin last.
				var order []string
				for _, l := range r.Cadres {
					order = append(order, l.RealName)
				}
				if got := order; got[0] != "陈一" && got[0] != "陈二" || got[2] != "陈四" || got[3] != "陈三" || got[4] != "陈五" {
					t.Errorf("order %v", order)
				}
			})
		})
	}
}

func TestCadrePeriodBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w, svc := cadreWorld(t, db, false)
		for _, tc := range []struct {
			name, from, to string
			answers, first int64
		}{
			{"the day before: the first answer of q0", "2026-03-09", "2026-03-09", 1, 1},
			{"the first day: the answer at its first instant", "2026-03-10", "2026-03-10", 1, 0},
			{"the day after: the answer at its first instant", "2026-03-20", "2026-03-20", 1, 0},
			{"the period and the days around it", "2026-03-09", "2026-03-20", 5, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := svc.Cadres(t.Context(), w.Province, stats.CadreQuery{University: w.UniA.Code, From: tc.from, To: tc.to})
				if err != nil {
					t.Fatal(err)
				}
				if l := lineOf(t, r, "陈一"); l.Answers != tc.answers || l.FirstAnswers != tc.first {
					t.Errorf("陈一: %d answers, %d first, want %d, %d", l.Answers, l.FirstAnswers, tc.answers, tc.first)
				}
			})
		}
	})
}

func TestCadreProvinceTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w, svc := cadreWorld(t, db, true)
		r, err := svc.Cadres(t.Context(), w.Province, stats.CadreQuery{From: w.From, To: w.To, Sort: "answers"})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Province || r.University != nil || r.Cadres != nil || len(r.Universities) != 166 {
			t.Fatalf("province table: province %v, university %v, %d universities", r.Province, r.University, len(r.Universities))
		}
		a, b := r.Universities[0], r.Universities[1]
		if a.University.Code != w.UniA.Code || b.University.Code != w.UniB.Code || r.Universities[2].Answers != 0 {
			t.Fatalf("sorted by answers: %s (%d), %s (%d), then %d", a.University.Code, a.Answers, b.University.Code, b.Answers, r.Universities[2].Answers)
		}
		if got, want := figuresOf(a.CadreFigures), (figures{7, 5, 1, 1, 4, 3, 1, 5400, 1, 4, 2, 1, 9}); got != want {
			t.Errorf("A\n got %+v\nwant %+v", got, want)
		}
		if a.Listed != 5 || a.Registered != 4 || a.Left != 1 || a.ActiveCadres != 4 {
			t.Errorf("A's roster: listed %d registered %d left %d active %d", a.Listed, a.Registered, a.Left, a.ActiveCadres)
		}
		if got, want := figuresOf(b.CadreFigures), (figures{1, 1, 0, 0, 1, 1, 0, 3600, 0, 0, 0, 0, 1}); got != want {
			t.Errorf("B\n got %+v\nwant %+v", got, want)
		}
		if got, want := figuresOf(r.Total), (figures{8, 6, 1, 1, 5, 4, 1, 3600, 1, 4, 2, 1, 10}); got != want {
			t.Errorf("province total\n got %+v\nwant %+v", got, want)
		}
		// The drill-down: the province admin reads B's roster.
		r, err = svc.Cadres(t.Context(), w.Province, stats.CadreQuery{University: w.UniB.Code, From: w.From, To: w.To})
		if err != nil || len(r.Cadres) != 1 || r.Cadres[0].RealName != "林一" || r.Cadres[0].AnswersOwn != 1 {
			t.Fatalf("B's roster for the province: %+v, %v", r.Cadres, err)
		}
	})
}

func TestCadreSort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w, svc := cadreWorld(t, db, false)
		for _, tc := range []struct{ sort, first, last string }{
			{"answers", "陈一", "陈五"},
			{"median_first_response_seconds", "陈三", "陈五"}, // fastest first, none last
			{"bookings_handled", "陈五", "陈三"},
			{"first_answers_late", "陈一", "陈五"},
		} {
			t.Run(tc.sort, func(t *testing.T) {
				r, err := svc.Cadres(t.Context(), w.AdminA, stats.CadreQuery{From: w.From, To: w.To, Sort: tc.sort})
				if err != nil {
					t.Fatal(err)
				}
				if last := r.Cadres[len(r.Cadres)-1].RealName; r.Sort != tc.sort || r.Cadres[0].RealName != tc.first || last != tc.last {
					t.Errorf("sort %s: first %s, last %s; want %s, %s", r.Sort, r.Cadres[0].RealName, last, tc.first, tc.last)
				}
			})
		}
		r, err := svc.Cadres(t.Context(), w.AdminA, stats.CadreQuery{From: w.From, To: w.To, Sort: "nonsense"})
		if err != nil || r.Sort != stats.SortCode {
			t.Fatalf("unknown sort: %s, %v", r.Sort, err)
		}
	})
}

func TestCadreAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w, svc := cadreWorld(t, db, false)
		noUni := servicetest.NewUser(t, db, model.RoleUniversityAdm, nil, false)
		for _, tc := range []struct {
			name   string
			viewer model.User
			code   string
			kind   error
			errc   string
		}{
			{"a university admin, another university", w.AdminA, w.UniB.Code, service.ErrForbidden, "other_university"},
			{"B's admin, A", w.AdminB, w.UniA.Code, service.ErrForbidden, "other_university"},
			{"a cadre", w.C1, "", service.ErrForbidden, "not_admin"},
			{"a student", w.Student, w.UniA.Code, service.ErrForbidden, "not_admin"},
			{"an admin without a university", noUni, "", service.ErrForbidden, "no_university"},
			{"an unknown university", w.Province, "0000000000", service.ErrNotFound, "university_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.Cadres(t.Context(), tc.viewer, stats.CadreQuery{University: tc.code, From: w.From, To: w.To})
				servicetest.WantErr(t, tc.name, err, tc.kind, tc.errc)
			})
		}
		// The own university by code, and B's admin without one: B.
		if r, err := svc.Cadres(t.Context(), w.AdminA, stats.CadreQuery{University: w.UniA.Code, From: w.From, To: w.To}); err != nil || r.University.Code != w.UniA.Code {
			t.Fatalf("own university by code: %v", err)
		}
		if r, err := svc.Cadres(t.Context(), w.AdminB, stats.CadreQuery{From: w.From, To: w.To}); err != nil || r.Province || r.University.Code != w.UniB.Code {
			t.Fatalf("B's admin: %+v, %v", r.University, err)
		}
		_, err := svc.Cadres(t.Context(), w.Province, stats.CadreQuery{From: "2026-03-19", To: "2026-03-10"})
		servicetest.WantErr(t, "a reversed period", err, service.ErrInvalid, "bad_period")
	})
}

// The README's 干部考核 lists the definitions the page shows, from
// stats.CadreColumns (go test ./service/stats -run TestReadmeCadreColumns
// -update rewrites it).
func TestReadmeCadreColumns(t *testing.T) {
	const path = "../../README.md"
	const begin, end = "<!-- cadre-metrics:begin -->\n", "<!-- cadre-metrics:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q block", begin, end)
	}
	want := stats.CadreColumnsMarkdown()
	if got := readme[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README.md's 干部考核 definitions differ from stats.CadreColumns; run go test ./service/stats -run TestReadmeCadreColumns -update\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// Every column is named, defined and keyed once.
func TestCadreColumnsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range stats.CadreColumns {
		if c.Key == "" || c.Name == "" || c.Help == "" || c.Value(stats.CadreFigures{}) == "" || seen[c.Key] {
			t.Errorf("column %+v incomplete or twice", c)
		}
		seen[c.Key] = true
	}
}

// An answer held for review and approved later is the question's first
// answer from its approval (the question records that moment): its
// author gets the first answer, timed from the approval.
func TestCadreFirstAnswerApprovedLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w, svc := cadreWorld(t, db, false)
		asked, written, approved := bj(17, 9, 0, 0).UTC(), bj(17, 9, 30, 0).UTC(), bj(17, 10, 0, 0).UTC()
		secs, kept := int64(3600), true
		q := model.Question{BoardID: w.BoardA.ID, UniversityID: w.UniA.ID, AskerID: w.Student.ID, Title: "问题", Status: model.QuestionAnswered,
			DueAt: asked.Add(24 * time.Hour), FirstAnsweredAt: &approved, FirstResponseS: &secs, PromiseKept: &kept, CreatedAt: asked, UpdatedAt: approved}
		if err := db.Conn(t.Context()).Create(&q).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Conn(t.Context()).Create(&model.Answer{QuestionID: q.ID, AuthorID: w.C2.ID, Kind: model.AnswerKindAnswer, Body: "答复",
			Status: model.AnswerPublished, CreatedAt: written, UpdatedAt: approved}).Error; err != nil {
			t.Fatal(err)
		}
		r, err := svc.Cadres(t.Context(), w.AdminA, stats.CadreQuery{From: w.From, To: w.To})
		if err != nil {
			t.Fatal(err)
		}
		if c2 := lineOf(t, r, "陈二"); c2.Answers != 3 || c2.AnswersOwn != 1 || c2.FirstAnswers != 2 || c2.FirstOnTime != 2 ||
			c2.MedianFirstResponseSeconds == nil || *c2.MedianFirstResponseSeconds != 3600 {
			t.Errorf("陈二 %+v", figuresOf(c2.CadreFigures))
		}
	})
}
