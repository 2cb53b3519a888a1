package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// The generator writes every table's rows, in primary-key order and (where
// a table has a created_at index) oldest first, as the application would
// have written them over the months: the columns the services compute
// (due_at, first_response_seconds, promise_kept, reminded_at / overdue_at
// as the sweeps would have set them, booking deadlines from the station's
// calendar …) follow the services' own rules.

// Accounts the bench signs in with; every generated account has
// benchPassword (one bcrypt hash, computed once).
const (
	benchPassword   = "scalebench2025"
	provinceAccount = "scaleprovince"
)

// Account names are what sign-in accepts: 6–32 letters and digits.
func uniAdminAccount(code string) string       { return "uadm" + code }
func cadreAccount(code string, i int) string   { return fmt.Sprintf("cadre%sc%02d", code, i) }
func stationAccount(code string, i int) string { return fmt.Sprintf("station%sm%d", code, i) }
func studentAccount(id uint64) string          { return fmt.Sprintf("s%08d", id) }
func openID(id uint64) string                  { return fmt.Sprintf("oSCL%024d", id) }
func unboundOpenID(i int) string               { return fmt.Sprintf("oSCLx%023d", i) }

// uni is a university as the migrations seeded it, with its board.
type uni struct {
	ID    uint64
	Code  string
	Name  string
	Board uint64
}

// sink receives the rows of one table after another.
type sink interface {
	open(table string, cols []string) tableWriter
}

// tableWriter takes a table's rows: next starts a row (the previous one
// ended), close flushes and waits for the table to be stored.
type tableWriter interface {
	next() *row
	close() (rows int, err error)
}

// generator holds what later tables need of earlier ones.
type generator struct {
	v    volume
	seed uint64
	now  time.Time
	tl   *timeline
	unis []uni
	prov []uint64 // provincial boards
	hash string   // bcrypt of benchPassword
	w    []float64
	wC   []float64

	// users
	provinceID uint64
	admins     []uint64   // by university index
	cadres     [][]uint64 // by university index
	team       [][]uint64 // station members by university index (lead first); nil without a station
	stationID  []uint64   // by university index, 0 without a station
	firstStu   uint64     // id of the first student
	stuUni     []uint16   // by student index
	stuAt      []int64    // created (= bound) time, by student index
	bound      [][]int32  // bound student indices by university, oldest first
	boundAll   []int32    // every bound student index, oldest first
	staffAt    time.Time
	openIDs    []string // every bound openid (staff then students), for interactions

	largest int // university index with the most students

	questions []qfact
}

// qfact is what answers need of a question.
type qfact struct {
	id      uint64
	asker   uint64
	uniIdx  uint16
	first   int64 // first answer time, 0 if none
	closeAt int64 // last moment answers may come (resolved, hidden, now)
	extra   uint8 // answers and follow-ups after the first
}

func newGenerator(v volume, seed uint64, now time.Time, unis []uni, prov []uint64, hash string) *generator {
	g := &generator{v: v, seed: seed, now: now.UTC().Truncate(time.Second), unis: unis, prov: prov, hash: hash}
	g.tl = newTimeline(g.now, v.Months)
	g.w = universityWeights(len(unis), g.rng("universities"))
	g.wC = cumulative(g.w)
	for i, x := range g.w {
		if x > g.w[g.largest] {
			g.largest = i
		}
	}
	return g
}

// rng is the table's own stream: each table is deterministic by itself.
func (g *generator) rng(table string) *rand.Rand {
	var salt uint64 = 1469598103934665603
	for i := 0; i < len(table); i++ {
		salt = (salt ^ uint64(table[i])) * 1099511628211
	}
	return rand.New(rand.NewPCG(g.seed, salt)) //nolint:gosec // reproducible test data, not a secret
}

// tables lists the steps in load order (parents first).
func (g *generator) tables() []struct {
	name string
	fn   func(sink) (int, error)
} {
	return []struct {
		name string
		fn   func(sink) (int, error)
	}{
		{"users", g.users}, {"followers", g.followers}, {"stations", g.stations}, {"station_admins", g.stationAdmins},
		{"questions", g.genQuestions}, {"answers", g.answers}, {"bookings", g.bookings}, {"interactions", g.interactions},
	}
}

var userCols = []string{"id", "account", "account_key", "password_hash", "name", "entry_key", "university_id", "role",
	"openid", "bound_at", "activated_at", "last_login_at", "source", "created_at", "updated_at", "roles"}

func (g *generator) users(s sink) (int, error) {
	rng := g.rng("users")
	w := s.open("users", userCols)
	g.staffAt = g.tl.start.Add(-24 * time.Hour)
	id := uint64(0)
	staff := func(account, name string, uniID *uint64, role string) uint64 {
		id++
		r := w.next()
		r.uint(id).str(account).str(account).str(g.hash).str(name).str("")
		if uniID != nil {
			r.uint(*uniID)
		} else {
			r.null()
		}
		r.str(role).str(openID(id)).time(g.staffAt).time(g.staffAt).null().str("").time(g.staffAt).time(g.staffAt).int(int64(model.RoleBit(role)))
		g.openIDs = append(g.openIDs, openID(id))
		return id
	}
	g.provinceID = staff(provinceAccount, "省级管理员", nil, model.RoleProvinceAdmin)
	n := len(g.unis)
	g.admins, g.cadres, g.team = make([]uint64, n), make([][]uint64, n), make([][]uint64, n)
	for i, u := range g.unis {
		uid := u.ID
		g.admins[i] = staff(uniAdminAccount(u.Code), personName(rng), &uid, model.RoleUniversityAdm)
		for c := 1; c <= g.v.CadresPerUni; c++ {
			g.cadres[i] = append(g.cadres[i], staff(cadreAccount(u.Code, c), personName(rng), &uid, model.RoleCadre))
		}
		if i < n-g.v.NoStation {
			for m := 1; m <= g.v.StationTeam; m++ {
				g.team[i] = append(g.team[i], staff(stationAccount(u.Code, m), personName(rng), &uid, model.RoleStationAdmin))
			}
		}
	}

	// Students: half registered in the first month (the launch), the rest
	// spread over the months; ids in registration order.
	g.firstStu = id + 1
	times := make([]int64, g.v.Students)
	launch := g.tl.start.Add(30 * 24 * time.Hour)
	for i := range times {
		if rng.IntN(2) == 0 {
			times[i] = between(rng, g.tl.start, launch).Unix()
		} else {
			times[i] = g.tl.at(rng).Unix()
		}
	}
	slices.Sort(times)
	g.stuUni, g.stuAt = make([]uint16, len(times)), times
	g.bound = make([][]int32, n)
	for i, at := range times {
		id++
		ui := pickIndex(rng, g.wC)
		g.stuUni[i] = uint16(ui)
		t := time.Unix(at, 0)
		r := w.next()
		acct := studentAccount(id)
		r.uint(id).str(acct).str(acct).str(g.hash).str(personName(rng)).str("gaoxiao").uint(g.unis[ui].ID).str(model.RoleStudent)
		if rng.Float64() < shareBound {
			r.str(openID(id)).time(t).time(t).null().str("")
			g.bound[ui] = append(g.bound[ui], int32(i))
			g.boundAll = append(g.boundAll, int32(i))
			g.openIDs = append(g.openIDs, openID(id))
		} else {
			r.null().null().null().null().str("import")
		}
		r.time(t).time(t).int(0) // roles: a student
	}
	for i := range g.bound {
		if len(g.bound[i]) > len(g.bound[g.largest]) {
			g.largest = i
		}
	}
	return w.close()
}

func (g *generator) studentID(i int32) uint64 { return g.firstStu + uint64(i) }

// boundBefore picks a bound student of university ui registered before t;
// ok is false when there is none yet.
func (g *generator) boundBefore(rng *rand.Rand, ui int, t int64) (int32, bool) {
	list := g.bound[ui]
	n := sort.Search(len(list), func(k int) bool { return g.stuAt[list[k]] >= t })
	if n == 0 {
		return 0, false
	}
	return list[rng.IntN(n)], true
}

// asker picks a university by size and one of its students registered
// before t (another university when that one has none yet).
func (g *generator) asker(rng *rand.Rand, t int64) (int, int32) {
	for range 20 {
		ui := pickIndex(rng, g.wC)
		if s, ok := g.boundBefore(rng, ui, t); ok {
			return ui, s
		}
	}
	s := g.boundAll[0] // the first student registered at the launch
	return int(g.stuUni[s]), s
}

var followerCols = []string{"id", "openid", "subscribed", "scene_key", "subscribed_at", "unsubscribed_at", "status_event_at", "created_at", "updated_at"}

// followers: every bound WeChat user follows (from a few minutes before
// binding), and some followers never made an account; 5% unfollowed
// since.
func (g *generator) followers(s sink) (int, error) {
	rng := g.rng("followers")
	type f struct {
		openid string
		at     int64
	}
	var all []f
	for i, oid := range g.openIDs {
		at := g.staffAt.Unix()
		if i >= len(g.openIDs)-len(g.boundAll) {
			at = g.stuAt[g.boundAll[i-(len(g.openIDs)-len(g.boundAll))]]
		}
		all = append(all, f{oid, at - int64(60+rng.IntN(600))})
	}
	for i := 0; i < g.v.UnboundFollowers; i++ {
		all = append(all, f{unboundOpenID(i), g.tl.at(rng).Unix()})
	}
	slices.SortStableFunc(all, func(a, b f) int { return cmp.Compare(a.at, b.at) })
	w := s.open("followers", followerCols)
	for i, x := range all {
		at := time.Unix(x.at, 0)
		r := w.next()
		r.int(int64(i + 1)).str(x.openid)
		if rng.IntN(20) == 0 {
			un := between(rng, at.Add(time.Hour), g.now)
			r.bool(false).str("").time(at).time(un).time(un).time(at).time(un)
		} else {
			scene := ""
			if rng.IntN(4) == 0 {
				scene = "qrscene_campus"
			}
			r.bool(true).str(scene).time(at).null().time(at).time(at).time(at)
		}
	}
	return w.close()
}

var stationCols = []string{"id", "university_id", "name", "building", "room", "address", "directions", "has_office", "has_plaque",
	"has_computer", "has_service_post", "services", "hours", "closed_dates", "slot_minutes", "slot_capacity", "built_at", "built_by",
	"created_at", "updated_at"}

// stationHours: weekdays 09:00–12:00 and 14:00–17:30, Saturday mornings.
func stationHours() station.Calendar {
	day := []station.Range{{Open: "09:00", Close: "12:00"}, {Open: "14:00", Close: "17:30"}}
	var wk [7][]station.Range
	for d := time.Monday; d <= time.Friday; d++ {
		wk[d] = day
	}
	wk[time.Saturday] = []station.Range{{Open: "09:00", Close: "12:00"}}
	cal, err := station.NewCalendar(wk, nil)
	if err != nil {
		panic(err)
	}
	return cal
}

var stationServices = []string{"心理咨询", "学业辅导", "就业指导", "法律援助", "场地借用", "其他"}

func (g *generator) stations(s sink) (int, error) {
	w := s.open("stations", stationCols)
	svc, _ := json.Marshal(stationServices)
	hours, closed := stationHours().JSON()
	g.stationID = make([]uint64, len(g.unis))
	id := uint64(0)
	for i, u := range g.unis {
		if g.team[i] == nil {
			continue
		}
		id++
		g.stationID[i] = id
		r := w.next()
		r.uint(id).uint(u.ID).str(u.Name + "青年之家").str("学生活动中心").str(fmt.Sprintf("%d 室", 101+i)).str(u.Name + "学生活动中心").str("从正门进入后右转")
		r.bool(true).bool(true).bool(true).bool(true).str(string(svc)).str(hours).str(closed).int(60).int(0)
		if i%4 != 3 {
			r.time(g.staffAt.Add(7 * 24 * time.Hour)).uint(g.provinceID)
		} else {
			r.null().null()
		}
		r.time(g.staffAt).time(g.staffAt)
	}
	return w.close()
}

var stationAdminCols = []string{"id", "station_id", "user_id", "category", "real_name", "position", "phone", "qq", "wechat_id",
	"duty_days", "created_at", "updated_at"}

func (g *generator) stationAdmins(s sink) (int, error) {
	rng := g.rng("station_admins")
	w := s.open("station_admins", stationAdminCols)
	id := uint64(0)
	for i := range g.unis {
		for m, uid := range g.team[i] {
			id++
			cat, pos, duty := model.CategoryAdmin, "值班干事", 0b0101010 // Mon, Wed, Fri
			if m == 0 {
				cat, pos, duty = model.CategoryLead, "站长", 0b0111110
			} else if m%2 == 0 {
				duty = 0b1010100
			}
			r := w.next()
			r.uint(id).uint(g.stationID[i]).uint(uid).str(cat).str(personName(rng)).str(pos).str(phone(rng)).str("").str("").int(int64(duty))
			r.time(g.staffAt).time(g.staffAt)
		}
	}
	return w.close()
}

func phone(rng *rand.Rand) string {
	return fmt.Sprintf("1%d%09d", []int{3, 5, 8}[rng.IntN(3)], rng.IntN(1_000_000_000))
}

var questionCols = []string{"id", "board_id", "university_id", "asker_id", "title", "body", "anonymous", "status", "due_at",
	"first_answered_at", "first_response_seconds", "promise_kept", "reminded_at", "overdue_at", "rating", "rating_comment",
	"hidden_reason", "rejected_at", "created_at", "updated_at"}

var ratingComments = []string{"", "", "", "回复很及时", "解决了我的问题", "还可以更详细一些", "等了太久"}

func (g *generator) genQuestions(s sink) (int, error) {
	rng := g.rng("questions")
	times := g.tl.sorted(rng, g.v.Questions)
	w := s.open("questions", questionCols)
	now := g.now
	g.questions = make([]qfact, 0, len(times))
	for i, at := range times {
		id := uint64(i + 1)
		created := time.Unix(at, 0).UTC()
		ui, stu := g.asker(rng, at)
		board := g.unis[ui].Board
		if rng.Float64() >= shareOwnBoard {
			board = g.prov[rng.IntN(len(g.prov))]
		}
		due := created.Add(question.AnswerWithin)
		remindAt := created.Add(question.RemindAfter)
		f := qfact{id: id, asker: g.studentID(stu), uniIdx: uint16(ui)}

		status := model.QuestionOpen
		var first, reminded, overdue, rejected time.Time
		var secs int64
		var kept *bool
		rating, comment, reason := "", "", ""
		updated := created

		// answer draws when the first answer would come.
		answerDelay := func() time.Duration {
			if rng.Float64() < shareOnTime {
				return time.Duration(pow10(2.5+rng.Float64()*2.4)) * time.Second // 5 minutes … 22 hours
			}
			return question.AnswerWithin + time.Duration(1+rng.IntN(6*86400))*time.Second
		}
		// timers sets what the sweeps (every 30 s) would have set by moment
		// end for a question unanswered until then. At the reference time
		// a sweep has just run: nothing is left due for the next one.
		timers := func(end time.Time) {
			slack := 30 * time.Second
			if end.Equal(now) {
				slack = 0
			}
			if !end.Before(remindAt.Add(slack)) {
				reminded = remindAt.Add(min(jitter(rng), end.Sub(remindAt)))
			}
			if !end.Before(due.Add(slack)) {
				overdue = due.Add(min(jitter(rng), end.Sub(due)))
			}
		}
		answerBy := func(end time.Time) bool {
			d := answerDelay()
			t := created.Add(d)
			if !t.Before(end) {
				return false
			}
			first, secs = t, int64(d/time.Second)
			k := secs <= int64(question.AnswerWithin/time.Second)
			kept = &k
			timers(first)
			status, updated = model.QuestionAnswered, first
			return true
		}

		x := rng.Float64()
		switch {
		case x < shareReview && now.Sub(created) < 14*24*time.Hour:
			status = model.QuestionReview
		case x < shareReview+shareRejected:
			rejected = created.Add(time.Duration(10+rng.IntN(600)) * time.Minute)
			if rejected.After(now) {
				status = model.QuestionReview
				rejected = time.Time{}
				break
			}
			status, reason, updated = model.QuestionHidden, pick(rng, hiddenReasons), rejected
		case x < shareReview+shareRejected+shareHidden:
			hide := created.Add(time.Duration(1+rng.IntN(120)) * time.Hour)
			if hide.After(now) {
				hide = now
			}
			if rng.IntN(2) == 0 && answerBy(hide) {
				f.first = first.Unix()
			} else {
				timers(hide)
				if hide.After(due) {
					k := false
					kept = &k // hidden late: it stays late in the statistics
				}
			}
			status, reason, updated = model.QuestionHidden, pick(rng, hiddenReasons), hide
			f.closeAt = hide.Unix()
		default:
			if rng.Float64() < shareAnswered && answerBy(now) {
				f.first, f.closeAt = first.Unix(), now.Unix()
				if rng.Float64() < shareRated {
					r := first.Add(time.Duration(600+rng.IntN(3*86400)) * time.Second)
					if r.Before(now) {
						status, updated, f.closeAt = model.QuestionResolved, r, r.Unix()
						switch y := rng.Float64(); {
						case y < 0.72:
							rating = "满意"
						case y < 0.92:
							rating = "一般"
						default:
							rating = "不满意"
						}
						comment = pick(rng, ratingComments)
					}
				}
			} else {
				timers(now)
			}
		}

		r := w.next()
		r.uint(id).uint(board).uint(g.unis[ui].ID).uint(f.asker).str(questionTitle(rng)).str(questionBody(rng))
		r.bool(rng.Float64() < shareAnonymous).str(status).time(due).timeOrNull(first)
		if first.IsZero() {
			r.null()
		} else {
			r.int(secs)
		}
		if kept == nil {
			r.null()
		} else {
			r.bool(*kept)
		}
		r.timeOrNull(reminded).timeOrNull(overdue).str(rating).str(comment).str(reason).timeOrNull(rejected)
		r.time(created).time(updated)
		if f.first != 0 {
			g.questions = append(g.questions, f)
		}
	}
	return w.close()
}

func pow10(x float64) float64 { return math.Pow(10, x) }

var answerCols = []string{"id", "question_id", "author_id", "kind", "body", "status", "hidden_reason", "created_at", "updated_at"}

type afact struct {
	q      int32 // index into g.questions
	at     int64
	author uint64
	seq    uint8 // 0: the first answer
}

// answers: the first cadre answer of every answered question, then
// follow-ups by the asker and further cadre answers, alternating, until
// the total is the volume's; a few hidden or held for review.
func (g *generator) answers(s sink) (int, error) {
	rng := g.rng("answers")
	need := g.v.Answers - len(g.questions)
	for tries := 0; need > 0 && len(g.questions) > 0 && tries < 20*g.v.Answers; tries++ {
		q := &g.questions[rng.IntN(len(g.questions))]
		if q.extra < 6 && q.closeAt > q.first+60 {
			q.extra++
			need--
		}
	}
	var all []afact
	cadreOf := func(ui int) uint64 {
		cs := g.cadres[ui]
		if len(cs) == 0 || rng.Float64() < shareAdminFirst {
			return g.admins[ui]
		}
		f := rng.Float64()
		return cs[int(f*f*float64(len(cs)))] // some cadres answer far more than others
	}
	for qi := range g.questions {
		q := &g.questions[qi]
		all = append(all, afact{q: int32(qi), at: q.first, author: cadreOf(int(q.uniIdx))})
		prev := q.first
		for k := 1; k <= int(q.extra); k++ {
			at := prev + 1 + rng.Int64N(max(1, (q.closeAt-prev)/2))
			author := q.asker
			if k%2 == 0 {
				author = cadreOf(int(q.uniIdx))
			}
			all = append(all, afact{q: int32(qi), at: at, author: author, seq: uint8(k)})
			prev = at
		}
	}
	slices.SortFunc(all, func(a, b afact) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.q, b.q), cmp.Compare(a.seq, b.seq))
	})
	w := s.open("answers", answerCols)
	for i, a := range all {
		q := g.questions[a.q]
		kind, body := model.AnswerKindAnswer, ""
		if a.seq%2 == 1 {
			kind, body = model.AnswerKindFollowUp, followUpBody(rng)
		} else {
			body = answerBody(rng)
		}
		status, reason := model.AnswerPublished, ""
		if a.seq > 0 { // the first answer stays: hiding it would unanswer the question
			switch x := rng.Float64(); {
			case x < 0.015:
				status, reason = model.AnswerHidden, pick(rng, hiddenReasons)
			case x < 0.018:
				status = model.AnswerReview
			}
		}
		at := time.Unix(a.at, 0)
		r := w.next()
		r.int(int64(i + 1)).uint(q.id).uint(a.author).str(kind).str(body).str(status).str(reason).time(at).time(at)
	}
	return w.close()
}

var bookingCols = []string{"id", "station_id", "university_id", "student_id", "service", "slot_start", "slot_end", "contact_phone",
	"description", "question_id", "referred_by", "status", "confirmed_at", "place", "note", "decline_reason", "alternatives",
	"proposed_at", "handled_by", "result", "follow_up", "rating", "rating_comment", "in_hours", "due_at", "remind_at",
	"first_response_at", "first_response_seconds", "promise_kept", "reminded_at", "escalated_at", "appointment_reminded_at",
	"served_at", "created_at", "updated_at"}

var bookingResults = []string{"已完成咨询，建议两周后复诊", "已提供学业规划建议", "已协助修改简历", "场地已使用完毕", "已解答相关法律问题"}
var bookingNeeds = []string{"想预约一次心理咨询", "需要学业规划方面的建议", "请帮忙看看简历", "社团活动需要借用场地", "租房合同有疑问", ""}

// nextSlot is a station slot (Beijing weekday, 09–11 or 14–16 o'clock)
// 1 to 13 days after t.
func nextSlot(rng *rand.Rand, t time.Time) time.Time {
	for {
		d := t.In(clock.Beijing).AddDate(0, 0, 1+rng.IntN(13))
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		h := []int{9, 10, 11, 14, 15, 16}[rng.IntN(6)]
		return time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, clock.Beijing).UTC()
	}
}

func (g *generator) bookings(s sink) (int, error) {
	rng := g.rng("bookings")
	cal := stationHours()
	withStation := make([]float64, len(g.unis))
	for i := range g.unis {
		if g.stationID[i] != 0 {
			withStation[i] = g.w[i]
		}
	}
	cum := cumulative(withStation)
	times := g.tl.sorted(rng, g.v.Bookings)
	now := g.now
	w := s.open("bookings", bookingCols)
	for i, at := range times {
		created := time.Unix(at, 0).UTC()
		var ui int
		var stu int32
		ok := false
		for range 20 {
			ui = pickIndex(rng, cum)
			if stu, ok = g.boundBefore(rng, ui, at); ok {
				break
			}
		}
		if !ok {
			ui, stu = int(g.stuUni[g.boundAll[0]]), g.boundAll[0]
			if g.stationID[ui] == 0 {
				continue
			}
		}
		due, inHours := cal.Deadline(created)
		due = due.UTC()
		remind := station.RemindAt(created, due).UTC()
		team := g.team[ui]
		handler := team[rng.IntN(len(team))]

		var slotStart, slotEnd, confirmed, proposed, firstResp, reminded, escalated, apptReminded, served time.Time
		status, place, decline, alts, result, comment := model.BookingSubmitted, "", "", "", "", ""
		var handledBy uint64
		var secs int64
		var kept *bool
		rating, followUp := 0, false
		updated := created
		if rng.IntN(10) < 7 {
			slotStart = nextSlot(rng, created)
			slotEnd = slotStart.Add(time.Hour)
		}
		window := due.Sub(created)
		var delay time.Duration
		if rng.Float64() < 0.85 {
			delay = time.Duration(float64(window) * (0.05 + 0.9*rng.Float64()))
		} else {
			delay = window + time.Duration(rng.IntN(86400))*time.Second
		}
		respAt := created.Add(delay).Truncate(time.Second)
		x := rng.Float64()
		switch {
		case x < 0.06: // cancelled before any response
			c := created.Add(time.Duration(rng.Int64N(int64(window))))
			if c.Before(now) {
				status, updated = model.BookingCancelled, c
			}
			if !c.Before(remind.Add(30 * time.Second)) {
				reminded = remind.Add(jitter(rng))
			}
		case respAt.After(now): // not answered yet
		default:
			firstResp, handledBy, secs = respAt, handler, int64(respAt.Sub(created)/time.Second)
			k := !respAt.After(due)
			kept = &k
			updated = respAt
			switch y := rng.Float64(); {
			case y < 0.12:
				status, decline, alts = model.BookingDeclined, "该时段服务站不开放", "可改约下周同一时间"
			case y < 0.20:
				proposed = nextSlot(rng, respAt)
				status, place = model.BookingProposed, "学生活动中心"
			default:
				status, place = model.BookingAccepted, "学生活动中心"
				confirmed = slotStart
				if confirmed.IsZero() || !confirmed.After(respAt) {
					confirmed = nextSlot(rng, respAt)
				}
				if !now.Before(confirmed.Add(-2 * time.Hour).Add(30 * time.Second)) {
					apptReminded = confirmed.Add(-2 * time.Hour).Add(jitter(rng))
				}
				end := confirmed.Add(time.Hour)
				if end.Before(now) {
					switch z := rng.Float64(); {
					case z < 0.86:
						status, served, result, updated = model.BookingServed, end, pick(rng, bookingResults), end
						followUp = rng.IntN(10) == 0
						if rng.Float64() < 0.55 {
							rating = []int{5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1}[rng.IntN(13)]
							comment = pick(rng, ratingComments)
						}
					case z < 0.94:
						status, updated = model.BookingNoShow, end
					default:
						status, updated = model.BookingCancelled, confirmed.Add(-3*time.Hour)
					}
				}
			}
		}
		// The sweeps: a reminder when remind_at passed unanswered, an
		// escalation when due_at did.
		end := now
		if !firstResp.IsZero() {
			end = firstResp
		}
		if status != model.BookingCancelled || !firstResp.IsZero() {
			if !end.Before(remind.Add(30 * time.Second)) {
				reminded = remind.Add(jitter(rng))
			}
			if !end.Before(due.Add(30 * time.Second)) {
				escalated = due.Add(jitter(rng))
			}
		}

		r := w.next()
		r.int(int64(i + 1)).uint(g.stationID[ui]).uint(g.unis[ui].ID).uint(g.studentID(stu)).str(pick(rng, stationServices))
		r.timeOrNull(slotStart).timeOrNull(slotEnd).str(phone(rng)).str(pick(rng, bookingNeeds)).null().null().str(status)
		r.timeOrNull(confirmed).str(place).str("").str(decline).str(alts).timeOrNull(proposed).uintOrNull(handledBy).str(result)
		r.bool(followUp).int(int64(rating)).str(comment).bool(inHours).time(due).time(remind).timeOrNull(firstResp)
		if firstResp.IsZero() {
			r.null().null()
		} else {
			r.int(secs).bool(*kept)
		}
		r.timeOrNull(reminded).timeOrNull(escalated).timeOrNull(apptReminded).timeOrNull(served).time(created).time(updated)
	}
	return w.close()
}

var interactionCols = []string{"id", "openid", "msg_type", "event", "event_key", "content", "msg_id", "sent_at", "created_at"}

var menuKeys = []string{"MENU_ASK", "MENU_BOARDS", "MENU_STATION", "MENU_MY", "MENU_HELP"}

// interactions: pushes from bound users (more from some than others) and
// from followers without an account; messages, menu clicks, link views
// and follows.
func (g *generator) interactions(s sink) (int, error) {
	rng := g.rng("interactions")
	times := g.tl.sorted(rng, g.v.Interactions)
	staff := len(g.openIDs) - len(g.boundAll)
	w := s.open("interactions", interactionCols)
	msgID := int64(24_000_000_000_000_000)
	for i, at := range times {
		var oid string
		switch x := rng.Float64(); {
		case x < 0.10 && g.v.UnboundFollowers > 0:
			oid = unboundOpenID(rng.IntN(g.v.UnboundFollowers))
		case x < 0.12:
			oid = g.openIDs[rng.IntN(staff)]
		default:
			n := sort.Search(len(g.boundAll), func(k int) bool { return g.stuAt[g.boundAll[k]] >= at })
			if n == 0 {
				oid = g.openIDs[rng.IntN(staff)]
				break
			}
			f := rng.Float64()
			oid = openID(g.studentID(g.boundAll[int(f*f*float64(n))]))
		}
		t := time.Unix(at, 0)
		r := w.next()
		r.int(int64(i + 1)).str(oid)
		switch y := rng.IntN(100); {
		case y < 40:
			msgID++
			r.str("text").str("").str("").str(pick(rng, chatTexts)).int(msgID)
		case y < 75:
			r.str("event").str("CLICK").str(pick(rng, menuKeys)).str("").int(0)
		case y < 90:
			r.str("event").str("VIEW").str("https://youth.example.cn/h5/home").str("").int(0)
		case y < 97:
			r.str("event").str("subscribe").str("").str("").int(0)
		default:
			r.str("event").str("unsubscribe").str("").str("").int(0)
		}
		r.time(t).time(t)
	}
	return w.close()
}
