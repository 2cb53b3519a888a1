package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
)

// MinRetentionDays is the shortest retention allowed: 等保 2.0 asks that
// audit records be kept at least six months.
const MinRetentionDays = 180

// Browse and export limits.
const (
	PageSize  = 50
	MaxExport = 20000 // rows per download: narrow the period for more
	// PurgeBatch is how many records one purge transaction removes: a
	// moment's lock on the head, never a long one.
	PurgeBatch = 500
	// MaxActorFilter is the length of the actor filter (an account or a
	// name).
	MaxActorFilter = 32
)

// Service browses, exports and purges the trail. Recording goes through
// Record, which every service calls inside its own transaction.
type Service struct {
	db        *model.DB
	clk       clock.Clock
	retention time.Duration
}

// Options configures the service.
type Options struct {
	// RetentionDays is how long records are kept (at least
	// MinRetentionDays; 0 means MinRetentionDays).
	RetentionDays int
}

// New builds the service.
func New(db *model.DB, clk clock.Clock, o Options) (*Service, error) {
	if db == nil || clk == nil {
		return nil, errors.New("audit.New: nil dependency")
	}
	if o.RetentionDays == 0 {
		o.RetentionDays = MinRetentionDays
	}
	if o.RetentionDays < MinRetentionDays {
		return nil, fmt.Errorf("审计日志保留天数 %d 少于 %d 天（等保 2.0 要求至少保留六个月）", o.RetentionDays, MinRetentionDays)
	}
	return &Service{db: db, clk: clk, retention: time.Duration(o.RetentionDays) * 24 * time.Hour}, nil
}

// Filter narrows the records browsed or exported.
type Filter struct {
	UniversityID uint64 `form:"university" json:"university"` // 0: all (province admins only)
	Actor        string `form:"actor" json:"actor"`           // account or real name
	Action       string `form:"action" json:"action"`
	From         string `form:"from" json:"from"` // Beijing dates, YYYY-MM-DD, included
	To           string `form:"to" json:"to"`
	Cursor       string `form:"cursor" json:"cursor"` // Page.Next of the page before
}

// Entry is a record as shown.
type View struct {
	model.AuditLog
	ActionName     string
	RoleName       string
	UniversityName string
}

// Page is one page of records, newest first.
type Page struct {
	Records []View
	// Next is the cursor of the following page; empty on the last.
	Next string
}

// errNotAdmin: only admins read the trail.
var errNotAdmin = service.Forbidden("not_admin", "只有省级管理员和高校团委管理员可以查看审计日志")

// scoped checks the reader and returns f narrowed to what they may see:
// a university admin sees their university's records only.
func scoped(actor model.User, f Filter) (Filter, error) {
	switch {
	case actor.Has(model.RoleProvinceAdmin):
	case actor.Has(model.RoleUniversityAdm) && actor.UniversityID != nil:
		f.UniversityID = *actor.UniversityID
	default:
		return f, errNotAdmin
	}
	return f, nil
}

// query is a filter checked and turned into conditions.
type query struct {
	f          Filter
	from, to   *time.Time
	actors     []uint64
	noActor    bool // the actor filter matches nobody
	cursorAt   time.Time
	cursorID   uint64
	haveCursor bool
}

func (s *Service) parse(ctx context.Context, f Filter) (query, error) {
	q := query{f: f}
	fields := map[string]string{}
	f.Actor = service.CleanLine(f.Actor)
	q.f.Actor = f.Actor
	if len([]rune(f.Actor)) > MaxActorFilter {
		fields["actor"] = fmt.Sprintf("不能超过 %d 个字", MaxActorFilter)
	}
	if f.Action != "" && !KnownAction(f.Action) {
		fields["action"] = "没有这种操作"
	}
	day := func(name, v string) *time.Time {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, clock.Beijing)
		if err != nil {
			fields[name] = "日期格式应为 2026-01-31"
			return nil
		}
		return &t
	}
	q.from, q.to = day("from", f.From), day("to", f.To)
	if q.to != nil {
		end := q.to.AddDate(0, 0, 1) // To is included
		q.to = &end
	}
	if q.from != nil && q.to != nil && !q.from.Before(*q.to) {
		fields["to"] = "结束日期不能早于开始日期"
	}
	if f.Cursor != "" {
		ms, id, ok := strings.Cut(f.Cursor, "-")
		a, err1 := strconv.ParseInt(ms, 10, 64)
		b, err2 := strconv.ParseUint(id, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			fields["cursor"] = "翻页参数无效，请回到第一页"
		}
		q.cursorAt, q.cursorID, q.haveCursor = time.UnixMilli(a).UTC(), b, true
	}
	if len(fields) > 0 {
		return q, service.Invalid("bad_filter", "筛选条件有误："+firstOf(fields), fields)
	}
	if f.Actor != "" {
		if err := s.db.Conn(ctx).Model(&model.User{}).Where("account_key = ? OR name = ?", strings.ToLower(f.Actor), f.Actor).
			Limit(50).Pluck("id", &q.actors).Error; err != nil {
			return q, err
		}
		q.noActor = len(q.actors) == 0
	}
	return q, nil
}

func firstOf(fields map[string]string) string {
	for _, k := range []string{"university", "actor", "action", "from", "to", "cursor"} {
		if v, ok := fields[k]; ok {
			return v
		}
	}
	return ""
}

// rows reads up to n records after the cursor, newest first. Every filter
// has its index ((university_id, at), (actor_id, at), (action, at), (at),
// each ending in the primary key), and the cursor is a range on at, so a
// page costs the same at a million records as at a thousand.
func (s *Service) rows(ctx context.Context, q query, n int) ([]model.AuditLog, error) {
	if q.noActor {
		return nil, nil
	}
	db := s.db.Conn(ctx).Model(&model.AuditLog{})
	if q.f.UniversityID != 0 {
		db = db.Where("university_id = ?", q.f.UniversityID)
	}
	if len(q.actors) > 0 {
		db = db.Where("actor_id IN ?", q.actors)
	}
	if q.f.Action != "" {
		db = db.Where("action = ?", q.f.Action)
	}
	if q.from != nil {
		db = db.Where("at >= ?", q.from.UTC())
	}
	if q.to != nil {
		db = db.Where("at < ?", q.to.UTC())
	}
	if q.haveCursor {
		db = db.Where("at <= ? AND (at < ? OR id < ?)", q.cursorAt, q.cursorAt, q.cursorID)
	}
	var out []model.AuditLog
	err := db.Order("at DESC, id DESC").Limit(n).Find(&out).Error
	return out, err
}

// List is one page of the records actor may see, filtered.
func (s *Service) List(ctx context.Context, actor model.User, f Filter) (Page, error) {
	f, err := scoped(actor, f)
	if err != nil {
		return Page{}, err
	}
	q, err := s.parse(ctx, f)
	if err != nil {
		return Page{}, service.Wrap("查询审计日志", err)
	}
	rows, err := s.rows(ctx, q, PageSize+1)
	if err != nil {
		return Page{}, service.Wrap("查询审计日志", err)
	}
	var p Page
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		last := rows[len(rows)-1]
		p.Next = strconv.FormatInt(last.At.UnixMilli(), 10) + "-" + strconv.FormatUint(last.ID, 10)
	}
	if p.Records, err = s.views(ctx, rows); err != nil {
		return Page{}, service.Wrap("查询审计日志", err)
	}
	return p, nil
}

// Export returns the filtered records (all pages, newest first, at most
// MaxExport) for a download, and records the export: the trail names
// people, so a copy of it leaving is itself an action on personal data.
// truncated says the filter matched more than MaxExport.
func (s *Service) Export(ctx context.Context, actor model.User, f Filter, format string) (recs []View, truncated bool, err error) {
	f, err = scoped(actor, f)
	if err != nil {
		return nil, false, err
	}
	f.Cursor = ""
	q, err := s.parse(ctx, f)
	if err != nil {
		return nil, false, service.Wrap("导出审计日志", err)
	}
	var rows []model.AuditLog
	for len(rows) <= MaxExport {
		batch, err := s.rows(ctx, q, 1000)
		if err != nil {
			return nil, false, service.Wrap("导出审计日志", err)
		}
		rows = append(rows, batch...)
		if len(batch) < 1000 {
			break
		}
		last := batch[len(batch)-1]
		q.cursorAt, q.cursorID, q.haveCursor = last.At, last.ID, true
	}
	if len(rows) > MaxExport {
		rows, truncated = rows[:MaxExport], true
	}
	if recs, err = s.views(ctx, rows); err != nil {
		return nil, false, service.Wrap("导出审计日志", err)
	}
	detail := map[string]any{"format": format, "rows": len(recs), "filter": f}
	err = Record(ctx, s.db, Entry{Actor: &actor, UniversityID: Uni(f.UniversityID), Action: ActionExportPersonal,
		ObjectType: "audit_log", Summary: fmt.Sprintf("导出审计日志 %d 条（%s）", len(recs), strings.ToUpper(format)), Detail: detail})
	if err != nil {
		return nil, false, service.Wrap("导出审计日志", err)
	}
	return recs, truncated, nil
}

// RecordExport records a download that carries personal data (names,
// phones) before it is sent: what it holds, how many rows, in which file.
// The handlers that build such files call it; if it fails, nothing is
// sent.
func (s *Service) RecordExport(ctx context.Context, actor model.User, uni *uint64, what string, rows int, file string) error {
	err := Record(ctx, s.db, Entry{Actor: &actor, UniversityID: uni, Action: ActionExportPersonal, ObjectType: "file", ObjectID: file,
		Summary: fmt.Sprintf("导出%s（%d 行）", what, rows), Detail: map[string]any{"what": what, "rows": rows, "file": file}})
	return service.Wrap("记录导出", err)
}

// views adds the names the list shows.
func (s *Service) views(ctx context.Context, rows []model.AuditLog) ([]View, error) {
	ids := map[uint64]bool{}
	var list []uint64
	for _, r := range rows {
		if r.UniversityID != nil && !ids[*r.UniversityID] {
			ids[*r.UniversityID] = true
			list = append(list, *r.UniversityID)
		}
	}
	names := map[uint64]string{}
	if len(list) > 0 {
		var unis []model.University
		if err := s.db.Conn(ctx).Select("id", "name").Where("id IN ?", list).Find(&unis).Error; err != nil {
			return nil, err
		}
		for _, u := range unis {
			names[u.ID] = u.Name
		}
	}
	out := make([]View, len(rows))
	for i, r := range rows {
		out[i] = View{AuditLog: r, ActionName: ActionName(r.Action), RoleName: roleName(r.ActorRole)}
		if r.UniversityID != nil {
			out[i].UniversityName = names[*r.UniversityID]
		} else {
			out[i].UniversityName = "全省"
		}
	}
	return out, nil
}

func roleName(role string) string {
	if role == "system" {
		return "系统"
	}
	return model.RoleName(role)
}

// Purge removes the records older than the retention, oldest first, in
// transactions of PurgeBatch, and returns how many. Each batch moves the
// chain's anchor to the oldest record kept, so Verify still walks an
// unbroken chain, and records itself in the same transaction.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	cutoff := s.clk.Now().Add(-s.retention).UTC()
	var total int64
	for {
		n, err := s.purgeBatch(ctx, cutoff)
		total += n
		if err != nil || n < PurgeBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func (s *Service) purgeBatch(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		head, err := lockHead(ctx, s.db)
		if err != nil {
			return err
		}
		// The oldest records in chain order; the purge stops at the first
		// one still within the retention, so the kept chain has no hole.
		var old []model.AuditLog
		if err := s.db.Conn(ctx).Select("id", "at", "hash").Where("id >= ?", head.AnchorID).
			Order("id").Limit(PurgeBatch).Find(&old).Error; err != nil {
			return err
		}
		last := -1
		for i, r := range old {
			if !r.At.Before(cutoff) || r.ID == head.LastID {
				break // the chain's last record stays: the next append links to it
			}
			last = i
		}
		if last < 0 {
			return nil
		}
		first, end := old[0], old[last]
		res := s.db.Conn(ctx).Where("id >= ? AND id <= ?", first.ID, end.ID).Delete(&model.AuditLog{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if err := s.db.Conn(ctx).Model(&model.AuditHead{}).Where("id = 1").
			Updates(map[string]any{"anchor_id": end.ID + 1, "anchor_prev_hash": end.Hash}).Error; err != nil {
			return err
		}
		return Record(ctx, s.db, Entry{Action: ActionAuditPurge, ObjectType: "audit_log",
			ObjectID: fmt.Sprintf("%d-%d", first.ID, end.ID),
			Summary:  fmt.Sprintf("清理超过保留期（%d 天）的审计记录 %d 条（编号 %d–%d）", int(s.retention.Hours()/24), n, first.ID, end.ID),
			Detail:   map[string]any{"from_id": first.ID, "to_id": end.ID, "rows": n, "before": cutoff.Format(time.RFC3339), "anchor_prev_hash": end.Hash}})
	})
	if err != nil {
		return 0, service.Wrap("清理审计记录", err)
	}
	return n, nil
}

// RunRetention purges every interval until ctx is done. Safe on several
// instances: batches serialise on the head row.
func (s *Service) RunRetention(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.Purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.ErrorContext(ctx, "audit retention purge failed; retried at the next run", "err", err, "purged", n)
		case n > 0:
			log.InfoContext(ctx, "audit records past retention purged", "purged", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Now is the service's time (download names).
func (s *Service) Now() time.Time { return s.clk.Now() }
