// Package stats computes the assessment statistics (考核统计) the notice
// asks for: registrations, activity, cadre–youth interaction, and the
// 青年之家 stations' service and satisfaction, per university and for
// the province, over a period of Beijing days.
//
// Every figure comes from a handful of queries grouped by university
// (never one query per university), and a university admin's report is
// restricted to their own university here, not in the pages.
//
// The definitions of the figures are written once, in Metrics
// (metrics.go): the page's 指标说明 and the README's 考核统计 show them
// from there.
package stats

import (
	"context"
	"errors"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
)

// Service computes the statistics.
type Service struct {
	db     *model.DB
	clk    clock.Clock
	holder string // this instance's name on the roll-up lease
}

// New builds the service. All dependencies are required.
func New(db *model.DB, clk clock.Clock) (*Service, error) {
	if db == nil || clk == nil {
		return nil, errors.New("stats.New: nil dependency")
	}
	return &Service{db: db, clk: clk, holder: newHolder()}, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Second) }

// UniversityRef names the university of a row.
type UniversityRef struct {
	ID        uint64 `json:"-"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	City      string `json:"city"`
	Level     string `json:"level"`
	Ownership string `json:"ownership"`
	Batch     int    `json:"batch"`
}

// Row is one university's figures (or the province's total).
type Row struct {
	University *UniversityRef `json:"university,omitempty" gorm:"-"` // nil for the total

	Users      int64    `json:"users"`
	NewUsers   int64    `json:"new_users"`
	Activated  int64    `json:"activated_students"`
	Bound      int64    `json:"wechat_bound"`
	Cadres     int64    `json:"cadres"`
	Active     int64    `json:"active_users"`
	ActiveRate *float64 `json:"active_rate"` // Active / Users

	Interactions int64 `json:"interactions"`

	Questions             int64    `json:"questions"`
	Answered              int64    `json:"answered"`
	OnTime                int64    `json:"answered_on_time"`
	Late                  int64    `json:"late"`
	OnTimeRate            *float64 `json:"on_time_rate"`
	OverdueNow            int64    `json:"overdue_now"`
	FirstResponseSeconds  int64    `json:"-"` // sum over Answered
	AvgFirstResponseHours *float64 `json:"avg_first_response_hours"`
	RatedGood             int64    `json:"rated_satisfied"`
	RatedFair             int64    `json:"rated_neutral"`
	RatedBad              int64    `json:"rated_unsatisfied"`
	Satisfaction          *float64 `json:"satisfaction_rate"`

	CadreAnswers    int64 `json:"cadre_answers"`
	AnsweringCadres int64 `json:"answering_cadres"`

	Bookings            int64    `json:"bookings"`
	BookingsResponded   int64    `json:"bookings_responded"`
	BookingsOnTime      int64    `json:"bookings_on_time"`
	BookingsLate        int64    `json:"bookings_late"`
	BookingOnTimeRate   *float64 `json:"booking_on_time_rate"`
	Served              int64    `json:"served"`
	NoShow              int64    `json:"no_show"`
	ServiceRated        int64    `json:"service_rated"`
	ServiceStars        int64    `json:"-"` // sum over ServiceRated
	ServiceSatisfied    int64    `json:"service_satisfied"`
	ServiceSatisfaction *float64 `json:"service_satisfaction_rate"`
	AvgServiceStars     *float64 `json:"avg_service_stars"`

	// SortValue is the figure the rows are ordered by (the report's
	// Sort), so a ranking chart needs no map of sort keys to fields;
	// absent when ordered by code.
	SortValue *float64 `json:"sort_value,omitempty" gorm:"-"`
	// The promotion funnel: followers attributed to the university's QR
	// code in the period, of whom activated, of whom asked.
	QRFollows     int64 `json:"qr_follows" gorm:"column:qr_follows"`
	QRActivations int64 `json:"qr_activations" gorm:"column:qr_activations"`
	QRAskers      int64 `json:"qr_askers" gorm:"column:qr_askers"`
}

// Report is the statistics a viewer may see for a period.
type Report struct {
	Period      Period    `json:"period"`
	GeneratedAt time.Time `json:"generated_at"`
	// AsOf: the figures include every change made before it (数据截至):
	// the roll-ups' last pass (at most a pass old), or the replica's last
	// heartbeat when that is earlier; GeneratedAt before the roll-ups are
	// first built.
	AsOf     time.Time    `json:"as_of"`
	Province bool         `json:"province"` // all universities; false: the viewer's own
	Sort     string       `json:"sort"`
	Total    Row          `json:"total"`
	Rows     []Row        `json:"universities"`
	Quick    []QuickRange `json:"quick_ranges"`
}

// Query is what the viewer asks for: dates (YYYY-MM-DD, empty for the
// default period) and the order of the universities (a Sorts key).
type Query struct {
	From, To, Sort string
}

// Report computes the statistics of q's period that viewer may see: every
// university and the province's total for the province admin, their own
// university for a university admin; anyone else is refused.
func (s *Service) Report(ctx context.Context, viewer model.User, q Query) (Report, error) {
	var scope uint64 // 0: the whole province
	switch {
	case viewer.Has(model.RoleProvinceAdmin):
	case viewer.Has(model.RoleUniversityAdm):
		if viewer.UniversityID == nil {
			return Report{}, service.Forbidden("no_university", "你的账号未关联学校，无法查看本校统计")
		}
		scope = *viewer.UniversityID
	default:
		return Report{}, service.Forbidden("not_admin", "只有高校团委管理员和省级管理员可以查看考核统计")
	}
	now := s.now()
	p, err := ParsePeriod(q.From, q.To, now)
	if err != nil {
		return Report{}, err
	}
	sortKey := q.Sort
	if _, ok := sorts[sortKey]; !ok {
		sortKey = SortCode
	}
	// Before the queries: they see at least what it promises.
	asOf, err := s.asOf(ctx, now)
	if err != nil {
		return Report{}, service.Wrap("统计", err)
	}
	rows, rolledAsOf, err := s.collect(ctx, scope, p, now)
	if err != nil {
		return Report{}, service.Wrap("统计", reportError(err))
	}
	if rolledAsOf.Before(asOf) {
		asOf = rolledAsOf // the roll-ups' last pass
	}
	r := Report{Period: p, GeneratedAt: now, AsOf: asOf, Province: scope == 0, Sort: sortKey, Rows: rows, Quick: QuickRanges(now)}
	for i := range r.Rows {
		r.Total.add(r.Rows[i])
		r.Rows[i].derive()
	}
	r.Total.derive()
	sortRows(r.Rows, sortKey)
	if by := sorts[sortKey]; by != nil {
		for i := range r.Rows {
			r.Rows[i].SortValue = by(r.Rows[i])
		}
	}
	return r, nil
}

func (r *Row) add(o Row) {
	r.Users += o.Users
	r.NewUsers += o.NewUsers
	r.Activated += o.Activated
	r.Bound += o.Bound
	r.Cadres += o.Cadres
	r.Active += o.Active
	r.Interactions += o.Interactions
	r.Questions += o.Questions
	r.Answered += o.Answered
	r.OnTime += o.OnTime
	r.Late += o.Late
	r.OverdueNow += o.OverdueNow
	r.FirstResponseSeconds += o.FirstResponseSeconds
	r.RatedGood += o.RatedGood
	r.RatedFair += o.RatedFair
	r.RatedBad += o.RatedBad
	r.CadreAnswers += o.CadreAnswers
	r.AnsweringCadres += o.AnsweringCadres
	r.Bookings += o.Bookings
	r.BookingsResponded += o.BookingsResponded
	r.BookingsOnTime += o.BookingsOnTime
	r.BookingsLate += o.BookingsLate
	r.Served += o.Served
	r.NoShow += o.NoShow
	r.ServiceRated += o.ServiceRated
	r.ServiceStars += o.ServiceStars
	r.ServiceSatisfied += o.ServiceSatisfied
	r.QRFollows += o.QRFollows
	r.QRActivations += o.QRActivations
	r.QRAskers += o.QRAskers
}

// ratio is n/d, nil when d is 0 (shown as "—", not as 0%).
func ratio(n, d int64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// derive computes the rates from the counts.
func (r *Row) derive() {
	r.ActiveRate = ratio(r.Active, r.Users)
	r.OnTimeRate = ratio(r.OnTime, r.OnTime+r.Late)
	if h := ratio(r.FirstResponseSeconds, r.Answered); h != nil {
		*h /= 3600
		r.AvgFirstResponseHours = h
	}
	r.Satisfaction = ratio(r.RatedGood, r.RatedGood+r.RatedFair+r.RatedBad)
	r.BookingOnTimeRate = ratio(r.BookingsOnTime, r.BookingsOnTime+r.BookingsLate)
	r.ServiceSatisfaction = ratio(r.ServiceSatisfied, r.ServiceRated)
	r.AvgServiceStars = ratio(r.ServiceStars, r.ServiceRated)
}
