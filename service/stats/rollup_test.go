package stats_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// world is random data around rnow over a little more than a year, with
// many records on the edges of Beijing days.
type world struct {
	db    *model.DB
	ctx   context.Context
	clk   *clock.Fake
	svc   *stats.Service
	rng   *rand.Rand
	unis  []model.University
	users []model.User
	qs    []model.Question
	ans   []model.Answer
	bks   []model.Booking
	loose []string // openids of followers not bound to any account
}

// rnow is 7 December 2026, 15:30 Beijing time.
var rnow = time.Date(2026, time.December, 7, 15, 30, 0, 0, clock.Beijing)

// at is a random instant in the last span before w's now, often right at
// a Beijing midnight or a second before one.
func (w *world) at(span time.Duration) time.Time {
	t := w.clk.Now().Add(-time.Duration(w.rng.Int64N(int64(span))))
	switch w.rng.IntN(4) {
	case 0:
		b := t.In(clock.Beijing)
		t = time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing)
	case 1:
		b := t.In(clock.Beijing)
		t = time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing).Add(-time.Second)
	}
	return t.UTC().Truncate(time.Second)
}

func (w *world) create(t *testing.T, v any) {
	t.Helper()
	if err := w.db.Conn(w.ctx).Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

const year = 400 * 24 * time.Hour

func newWorld(t *testing.T, db *model.DB, seed uint64) *world {
	t.Helper()
	w := &world{db: db, ctx: context.Background(), clk: clock.NewFake(rnow), rng: rand.New(rand.NewPCG(seed, 7))}
	var err error
	if w.svc, err = stats.New(db, w.clk); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn(w.ctx).Order("code").Limit(4).Find(&w.unis).Error; err != nil || len(w.unis) != 4 {
		t.Fatalf("universities: %v", err)
	}
	roles := []string{model.RoleStudent, model.RoleStudent, model.RoleStudent, model.RoleCadre, model.RoleStationAdmin, model.RoleUniversityAdm}
	for i := range 60 {
		uni := w.unis[w.rng.IntN(3)].ID // the fourth has nobody
		created := w.at(year)
		u := model.User{Account: fmt.Sprintf("w%04d", i), AccountKey: fmt.Sprintf("w%04d", i), PasswordHash: "x",
			Role: roles[w.rng.IntN(len(roles))], UniversityID: &uni, CreatedAt: created, UpdatedAt: created}
		if w.rng.IntN(5) > 0 {
			a := created.Add(time.Duration(w.rng.IntN(3)) * 24 * time.Hour)
			u.ActivatedAt = &a
		}
		if w.rng.IntN(5) > 0 {
			oid := fmt.Sprintf("oWorld%04d", i)
			u.OpenID = &oid
		}
		w.create(t, &u)
		w.users = append(w.users, u)
	}
	for i := range 5 {
		w.loose = append(w.loose, fmt.Sprintf("oLoose%02d", i))
	}
	for range 400 {
		var oid string
		if u := w.users[w.rng.IntN(len(w.users))]; u.OpenID != nil && w.rng.IntN(6) > 0 {
			oid = *u.OpenID
		} else {
			oid = w.loose[w.rng.IntN(len(w.loose))]
		}
		at := w.at(year)
		w.create(t, &model.Interaction{OpenID: oid, MsgType: "event", Event: "CLICK", SentAt: at, CreatedAt: at})
	}
	// Followers attributed to a university's promotion code: half the
	// bound accounts' WeChats (the first always), two loose followers.
	first := true
	for _, u := range w.users {
		if u.OpenID == nil || (!first && w.rng.IntN(2) == 0) {
			continue
		}
		first = false
		w.create(t, &model.QRFollow{OpenID: *u.OpenID, UniversityID: w.unis[w.rng.IntN(3)].ID, Source: model.QRSourceSubscribe, FollowedAt: w.at(year)})
	}
	for _, oid := range w.loose[:2] {
		w.create(t, &model.QRFollow{OpenID: oid, UniversityID: w.unis[w.rng.IntN(4)].ID, Source: model.QRSourceScan, FollowedAt: w.at(year)})
	}
	statuses := []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved, model.QuestionReview, model.QuestionHidden}
	ratings := []string{"", "", "满意", "一般", "不满意"}
	for range 150 {
		asker := w.users[w.rng.IntN(len(w.users))]
		asked := w.at(year)
		if asked.Before(asker.CreatedAt) {
			asked = asker.CreatedAt
		}
		q := model.Question{BoardID: 1, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: "问题", Body: "",
			Status: statuses[w.rng.IntN(len(statuses))], DueAt: asked.Add(24 * time.Hour), CreatedAt: asked, UpdatedAt: asked}
		if q.Status == model.QuestionAnswered || q.Status == model.QuestionResolved {
			after := time.Duration(w.rng.IntN(48*60)) * time.Minute
			at := asked.Add(after)
			secs, kept := int64(after.Seconds()), after <= 24*time.Hour
			q.FirstAnsweredAt, q.FirstResponseS, q.PromiseKept = &at, &secs, &kept
			q.Rating = ratings[w.rng.IntN(len(ratings))]
		}
		if q.Status == model.QuestionHidden && w.rng.IntN(2) == 0 {
			r := asked.Add(time.Hour)
			q.RejectedAt = &r
		}
		w.create(t, &q)
		w.qs = append(w.qs, q)
	}
	for range 250 {
		q := w.qs[w.rng.IntN(len(w.qs))]
		author := w.users[w.rng.IntN(len(w.users))]
		kind := model.AnswerKindAnswer
		if w.rng.IntN(4) == 0 {
			kind = model.AnswerKindFollowUp
		}
		status := []string{model.AnswerPublished, model.AnswerPublished, model.AnswerPublished, model.AnswerHidden, model.AnswerReview}[w.rng.IntN(5)]
		at := q.CreatedAt.Add(time.Duration(w.rng.IntN(72*60)) * time.Minute)
		if now := w.clk.Now(); at.After(now) {
			at = now.UTC().Truncate(time.Second)
		}
		a := model.Answer{QuestionID: q.ID, AuthorID: author.ID, Kind: kind, Body: "答", Status: status, CreatedAt: at, UpdatedAt: at}
		w.create(t, &a)
		w.ans = append(w.ans, a)
	}
	bstatuses := []string{model.BookingSubmitted, model.BookingAccepted, model.BookingServed, model.BookingNoShow, model.BookingCancelled, model.BookingDeclined}
	for range 80 {
		student := w.users[w.rng.IntN(len(w.users))]
		made := w.at(year)
		due := made.Add(time.Hour)
		if w.rng.IntN(2) == 0 {
			due = made.Add(12 * time.Hour)
		}
		b := model.Booking{StationID: 1, UniversityID: *student.UniversityID, StudentID: student.ID, Service: "心理咨询",
			ContactPhone: "13800000000", Status: bstatuses[w.rng.IntN(len(bstatuses))], DueAt: due, RemindAt: due,
			CreatedAt: made, UpdatedAt: made}
		if b.Status != model.BookingSubmitted && b.Status != model.BookingCancelled {
			after := time.Duration(w.rng.IntN(16*60)) * time.Minute
			at := made.Add(after)
			secs, kept := int64(after.Seconds()), !at.After(due)
			h := w.users[w.rng.IntN(len(w.users))].ID
			b.FirstResponseAt, b.FirstResponseS, b.PromiseKept, b.HandledBy = &at, &secs, &kept, &h
			if b.Status == model.BookingServed {
				b.Rating = w.rng.IntN(6)
			}
		}
		w.create(t, &b)
		w.bks = append(w.bks, b)
	}
	return w
}

// periods are the ones the page offers and others ending in the past or
// the future, a day long or a year, starting and ending on every kind of
// day.
func (w *world) periods(t *testing.T) []stats.Period {
	t.Helper()
	now := w.clk.Now()
	var qs [][2]string
	for _, q := range stats.QuickRanges(now) {
		qs = append(qs, [2]string{q.From, q.To})
	}
	day := func(back int) string { return now.In(clock.Beijing).AddDate(0, 0, -back).Format(stats.DateLayout) }
	qs = append(qs, [2]string{day(0), day(0)}, [2]string{day(1), day(1)}, [2]string{day(365), day(0)},
		[2]string{day(400), day(40)}, [2]string{day(30), day(-5)}, [2]string{day(3), day(-300)})
	for range 12 {
		a := w.rng.IntN(420)
		b := max(a-w.rng.IntN(366), -10)
		qs = append(qs, [2]string{day(a), day(b)})
	}
	var out []stats.Period
	for _, q := range qs {
		p, err := stats.ParsePeriod(q[0], q[1], now)
		if err != nil {
			t.Fatalf("period %v: %v", q, err)
		}
		out = append(out, p)
	}
	return out
}

// same holds the roll-ups against the plain queries for every period,
// for the province and for each university alone.
func (w *world) same(t *testing.T, when string) {
	t.Helper()
	now := w.clk.Now().UTC().Truncate(time.Second)
	scopes := []uint64{0}
	for _, u := range w.unis {
		scopes = append(scopes, u.ID)
	}
	for _, p := range w.periods(t) {
		for _, scope := range scopes {
			plain, err := w.svc.Plain(w.ctx, scope, p, now)
			if err != nil {
				t.Fatal(err)
			}
			rolled, err := w.svc.Rolled(w.ctx, scope, p, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plain, rolled) {
				for i := range plain {
					if !reflect.DeepEqual(plain[i], rolled[i]) {
						t.Fatalf("%s, %s–%s, scope %d, %s:\nplain  %+v\nrolled %+v", when, p.From, p.To, scope,
							plain[i].University.Name, plain[i], rolled[i])
					}
				}
				t.Fatalf("%s, %s–%s: %d rows plain, %d rolled", when, p.From, p.To, len(plain), len(rolled))
			}
		}
	}
}

func (w *world) refresh(t *testing.T) stats.RefreshResult {
	t.Helper()
	r, err := w.svc.Refresh(w.ctx)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return r
}

// change updates one row as a service would: updated_at is now.
func (w *world) change(t *testing.T, v any, fields map[string]any) {
	t.Helper()
	fields["updated_at"] = w.clk.Now().UTC()
	if err := w.db.Conn(w.ctx).Model(v).Updates(fields).Error; err != nil {
		t.Fatalf("update %T: %v", v, err)
	}
}

// TestRollupsEqualPlain: after the first build and after every kind of
// late change, each period's figures from the roll-ups equal those of the
// plain queries over the base tables.
func TestRollupsEqualPlain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newWorld(t, db, 1)
		if r := w.refresh(t); !r.Rebuilt {
			t.Fatalf("first refresh %+v, want a full build", r)
		}
		w.same(t, "built")

		// Nothing changed: once past the margin for late commits (rows
		// written just before the build are read once more), a pass
		// recomputes nothing.
		w.clk.Advance(3 * time.Minute)
		w.refresh(t)
		w.clk.Advance(time.Minute)
		if r := w.refresh(t); r.Pairs != 0 {
			t.Errorf("idle pass recomputed %d pairs", r.Pairs)
		}

		// An hour later, late changes to old days, as the services make them.
		w.clk.Advance(time.Hour)
		now := w.clk.Now().UTC().Truncate(time.Second)
		var open, answered, published *model.Question
		for i := range w.qs {
			switch q := &w.qs[i]; {
			case open == nil && q.Status == model.QuestionOpen && q.CreatedAt.Before(now.Add(-30*24*time.Hour)):
				open = q
			case answered == nil && q.Status == model.QuestionAnswered && q.CreatedAt.Before(now.Add(-7*24*time.Hour)):
				answered = q
			case published == nil && q.Status == model.QuestionResolved:
				published = q
			}
		}
		if open == nil || answered == nil || published == nil {
			t.Fatal("fixture lacks an old open, an old answered and a resolved question")
		}
		// An old open question answered now (late), a rating, a hiding.
		cadre := w.users[0]
		w.create(t, &model.Answer{QuestionID: open.ID, AuthorID: cadre.ID, Kind: model.AnswerKindAnswer, Body: "迟到的答复",
			Status: model.AnswerPublished, CreatedAt: now, UpdatedAt: now})
		secs, late := int64(now.Sub(open.CreatedAt).Seconds()), false
		w.change(t, open, map[string]any{"status": model.QuestionAnswered, "first_answered_at": now,
			"first_response_seconds": secs, "promise_kept": late})
		w.change(t, answered, map[string]any{"rating": "满意"})
		w.change(t, published, map[string]any{"status": model.QuestionHidden})
		for i := range w.ans {
			if a := &w.ans[i]; a.Status == model.AnswerPublished && a.Kind == model.AnswerKindAnswer && a.CreatedAt.Before(now.Add(-7*24*time.Hour)) {
				w.change(t, a, map[string]any{"status": model.AnswerHidden})
				break
			}
		}
		// Bindings: a loose follower binds to an unbound account (its past
		// pushes now count there), a bound one unbinds, roles change.
		var unbound, bound *model.User
		for i := range w.users {
			u := &w.users[i]
			if u.OpenID == nil && unbound == nil {
				unbound = u
			} else if u.OpenID != nil && bound == nil {
				bound = u
			}
		}
		w.change(t, unbound, map[string]any{"openid": w.loose[0], "bound_at": now})
		w.change(t, bound, map[string]any{"openid": nil, "bound_at": nil})
		w.change(t, &w.users[5], map[string]any{"role": model.RoleCadre, "roles": model.RoleBit(model.RoleCadre)})
		w.change(t, &w.users[6], map[string]any{"role": model.RoleStudent, "roles": 0, "activated_at": now})
		// A booking answered, another rated, new pushes and a new account.
		for i := range w.bks {
			if b := &w.bks[i]; b.Status == model.BookingSubmitted {
				h := cadre.ID
				w.change(t, b, map[string]any{"status": model.BookingAccepted, "first_response_at": now,
					"first_response_seconds": int64(now.Sub(b.CreatedAt).Seconds()), "promise_kept": false, "handled_by": h})
				break
			}
		}
		for i := range w.bks {
			if b := &w.bks[i]; b.Status == model.BookingServed && b.Rating == 0 {
				w.change(t, b, map[string]any{"rating": 5})
				break
			}
		}
		pushers := []string{w.loose[0], w.loose[1]}
		for _, u := range w.users[10:] {
			if u.OpenID != nil {
				pushers = append(pushers, *u.OpenID)
				break
			}
		}
		for _, oid := range pushers {
			w.create(t, &model.Interaction{OpenID: oid, MsgType: "text", SentAt: now, CreatedAt: now})
		}
		uni := w.unis[3].ID
		oid := "oWorldNewcomer"
		w.create(t, &model.User{Account: "newcomer", AccountKey: "newcomer", PasswordHash: "x", Role: model.RoleStudent,
			UniversityID: &uni, OpenID: &oid, ActivatedAt: &now, CreatedAt: now, UpdatedAt: now})
		w.create(t, &model.Interaction{OpenID: oid, MsgType: "text", SentAt: now, CreatedAt: now})
		// The promotion funnel: the newcomer followed through a code now;
		// an attributed account asks its first question now (its follow
		// was months ago); loose[0] (attributed) was bound above, and the
		// first bound account (attributed) unbound.
		w.create(t, &model.QRFollow{OpenID: oid, UniversityID: w.unis[1].ID, Source: model.QRSourceSubscribe, FollowedAt: now})
		var attributed []model.QRFollow
		if err := db.Conn(w.ctx).Where("followed_at < ?", now.Add(-30*24*time.Hour)).Find(&attributed).Error; err != nil {
			t.Fatal(err)
		}
		asked := false
		for _, f := range attributed {
			for _, u := range w.users {
				if u.OpenID == nil || *u.OpenID != f.OpenID || asked {
					continue
				}
				var n int64
				if err := db.Conn(w.ctx).Model(&model.Question{}).Where("asker_id = ?", u.ID).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					w.create(t, &model.Question{BoardID: 1, UniversityID: *u.UniversityID, AskerID: u.ID, Title: "新问题",
						Status: model.QuestionOpen, DueAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now})
					asked = true
				}
			}
		}
		if !asked {
			t.Fatal("fixture lacks an attributed account that never asked")
		}

		if r := w.refresh(t); r.Rebuilt || r.Pairs == 0 {
			t.Fatalf("refresh after changes %+v, want an incremental pass", r)
		}
		w.same(t, "after late changes")

		// Two days on: deadlines passed (open questions and bookings turn
		// late without any write), and a pass started on another instance.
		w.clk.Advance(49 * time.Hour)
		other, err := stats.New(db, w.clk)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Refresh(w.ctx); err != nil {
			t.Fatal(err)
		}
		w.same(t, "after deadlines passed")
	})
}

// TestRollupLease: several instances refreshing at once never fail other
// than with ErrBusy, and what they leave is exact.
func TestRollupLease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := newWorld(t, db, 2)
		w.refresh(t)
		w.clk.Advance(time.Minute)
		now := w.clk.Now().UTC()
		w.change(t, &w.qs[0], map[string]any{"status": model.QuestionHidden})
		w.create(t, &model.Interaction{OpenID: w.loose[2], MsgType: "text", SentAt: now, CreatedAt: now})
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			svc, err := stats.New(db, w.clk)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = svc.Refresh(w.ctx) }()
		}
		wg.Wait()
		ran := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ran++
			case !errors.Is(err, stats.ErrBusy):
				t.Fatalf("concurrent refresh: %v", err)
			}
		}
		if ran == 0 {
			t.Fatal("no refresh ran")
		}
		w.refresh(t) // the lease was released
		w.same(t, "after concurrent passes")
	})
}
