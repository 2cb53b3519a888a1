// Package notice is the province's notices (省团委通知): the province
// admin publishes a notice, with an optional attachment, to all
// universities, one construction batch or chosen ones, and to their
// cadres too if it likes; the recipients, resolved when it is published,
// get a template alert and find it in their 通知 list; the province sees
// per university who has read it and when, and reminds the unread. Every
// rule about who may do and see what lives here.
package notice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
)

// Field limits, in characters (the attachment's in bytes). The pages'
// maxlength and the API's documentation take them from here.
const (
	MaxTitle          = 50       // 标题
	MaxBody           = 5000     // 正文
	MaxAttachment     = 10 << 20 // 附件: 10 MiB
	MaxAttachmentName = 100      // 附件文件名
)

// attachmentPiece is the size of the pieces an attachment is stored in:
// escaped, at most 2 MiB a statement, under MySQL's smallest default
// max_allowed_packet (4 MiB).
const attachmentPiece = 1 << 20

// RemindEvery is how long a recipient is left alone after an alert
// (publication or reminder) before 提醒未读 alerts them again.
const RemindEvery = time.Hour

// PageSize is the length of a page of the province's list.
const PageSize = 20

// maxChosen is how many universities a notice may name (all 166 and
// then some, should the list grow).
const maxChosen = 300

// maxRead is how many read notices a person's list shows below the
// unread ones (all of which it shows).
const maxRead = 100

// Service is the notice service.
type Service struct {
	db     *model.DB
	clock  clock.Clock
	notify *notify.Notifier
}

// New builds the service.
func New(db *model.DB, clk clock.Clock, n *notify.Notifier) (*Service, error) {
	if db == nil || clk == nil || n == nil {
		return nil, errors.New("notice.New: nil dependency")
	}
	return &Service{db: db, clock: clk, notify: n}, nil
}

// Attachment is a file uploaded with a notice.
type Attachment struct {
	Name string
	Data []byte
}

// Input is what the province admin fills in.
type Input struct {
	Title        string
	Body         string
	Target       string   // model.NoticeTarget*
	Batch        int      // with NoticeTargetBatch: model.Batch*
	Universities []string // with NoticeTargetChosen: the universities' codes
	Cadres       bool     // their cadres too
	Attachment   *Attachment

	attachmentType string // found by validate from the content
}

var (
	errNotFound    = service.NotFound("notice_not_found", "通知不存在")
	errNotProvince = service.Forbidden("not_province_admin", "只有省级管理员可以发布通知和查看阅读情况")
	targetNames    = map[string]bool{model.NoticeTargetAll: true, model.NoticeTargetBatch: true, model.NoticeTargetChosen: true}
	batchNames     = map[int]string{model.BatchUndergraduate: "本科", model.BatchPublicVocational: "公办专科", model.BatchPrivateVocational: "民办专科"}
)

// Messages of the field target.
const (
	msgNoRecipients  = "所选高校还没有可以接收通知的高校团委管理员或团学干部"
	msgTargetMissing = "请选择发送范围：全部高校、某一批次或指定高校"
)

// BatchName is the Chinese name of a construction batch ("" if none).
func BatchName(b int) string { return batchNames[b] }

// TargetText describes whom n was sent to: 全部高校, 本科高校, 指定的 3 所高校,
// followed by 的团委管理员 and, when they were included, 和团学干部.
func TargetText(n model.Notice, universities int) string {
	var who string
	switch n.Target {
	case model.NoticeTargetAll:
		who = "全部高校"
	case model.NoticeTargetBatch:
		who = BatchName(n.Batch) + "高校"
	default:
		who = "指定的 " + strconv.Itoa(universities) + " 所高校"
	}
	if n.Cadres {
		return who + "的团委管理员和团学干部"
	}
	return who + "的团委管理员"
}

// validate cleans in and checks every field, naming each bad one.
func (in *Input) validate() error {
	in.Title, in.Body = service.CleanLine(in.Title), service.CleanText(in.Body)
	f := map[string]string{}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		f["title"] = "请填写标题"
	case n > MaxTitle:
		f["title"] = fmt.Sprintf("标题不能超过 %d 个字（当前 %d 个字）", MaxTitle, n)
	}
	switch n := utf8.RuneCountInString(in.Body); {
	case n == 0:
		f["body"] = "请填写正文"
	case n > MaxBody:
		f["body"] = fmt.Sprintf("正文不能超过 %d 个字（当前 %d 个字）", MaxBody, n)
	}
	switch {
	case !targetNames[in.Target]:
		f["target"] = msgTargetMissing
	case in.Target == model.NoticeTargetBatch && batchNames[in.Batch] == "":
		f["batch"] = "请选择批次：本科、公办专科或民办专科"
	case in.Target == model.NoticeTargetChosen && len(in.Universities) == 0:
		f["universities"] = "请至少选择一所高校"
	case in.Target == model.NoticeTargetChosen && len(in.Universities) > maxChosen:
		// Guards the query, not the province: there are 166.
		f["universities"] = fmt.Sprintf("最多选择 %d 所高校", maxChosen)
	}
	if in.Attachment != nil {
		name, ctype, msg := checkAttachment(in.Attachment.Name, in.Attachment.Data)
		if msg != "" {
			f["attachment"] = msg
		}
		in.Attachment.Name = name
		in.attachmentType = ctype
	}
	if len(f) > 0 {
		msg := "请检查标出的内容"
		if len(f) == 1 {
			for _, m := range f {
				msg = m
			}
		}
		return service.Invalid("invalid_notice", msg, f)
	}
	return nil
}

// Publish sends a notice (province admin): the recipients are the
// university admins of the targeted universities and, with Cadres, their
// cadres, each account once, as they are now; each gets a template alert,
// enqueued with the notice in one transaction.
func (s *Service) Publish(ctx context.Context, actor model.User, in Input) (model.Notice, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return model.Notice{}, service.Forbidden("not_province_admin", "只有省级管理员可以发布通知")
	}
	if err := in.validate(); err != nil {
		return model.Notice{}, err
	}
	unis, err := s.targets(ctx, in)
	if err != nil {
		return model.Notice{}, err
	}
	now := s.clock.Now().UTC().Truncate(time.Second)
	n := model.Notice{Title: in.Title, Body: in.Body, Target: in.Target, Cadres: in.Cadres, CreatedBy: actor.ID, CreatedAt: now}
	if in.Target == model.NoticeTargetBatch {
		n.Batch = in.Batch
	}
	if a := in.Attachment; a != nil {
		n.AttachmentName, n.AttachmentType, n.AttachmentSize = a.Name, in.attachmentType, int64(len(a.Data))
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		to, err := s.resolve(ctx, unis, in.Cadres)
		if err != nil {
			return err
		}
		if len(to) == 0 {
			return service.Invalid("no_recipients", msgNoRecipients, map[string]string{"target": msgNoRecipients})
		}
		n.Recipients = len(to)
		c := s.db.Conn(ctx)
		if err := c.Create(&n).Error; err != nil {
			return err
		}
		if a := in.Attachment; a != nil {
			// One piece a statement (see model.NoticeAttachment).
			for i, piece := range slices.Collect(slices.Chunk(a.Data, attachmentPiece)) {
				if err := c.Create(&model.NoticeAttachment{NoticeID: n.ID, Seq: i, Data: piece}).Error; err != nil {
					return err
				}
			}
		}
		targets := make([]model.NoticeTarget, len(unis))
		for i, u := range unis {
			targets[i] = model.NoticeTarget{NoticeID: n.ID, UniversityID: u.ID}
		}
		if err := c.CreateInBatches(targets, 500).Error; err != nil {
			return err
		}
		rows := make([]model.NoticeRecipient, len(to))
		for i, u := range to {
			kind := model.NoticeRecipientCadre
			if u.Has(model.RoleUniversityAdm) {
				kind = model.NoticeRecipientAdmin
			}
			rows[i] = model.NoticeRecipient{NoticeID: n.ID, UserID: u.ID, UniversityID: *u.UniversityID, Kind: kind}
		}
		if err := c.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, s.db, audit.Entry{Actor: &actor, Action: audit.ActionNoticePublish, ObjectType: "notice",
			ObjectID: audit.ID(n.ID), Summary: fmt.Sprintf("发布通知「%s」（%d 所学校，%d 人）", n.Title, len(unis), len(to)),
			Detail: map[string]any{"target": n.Target, "batch": n.Batch, "cadres": n.Cadres, "universities": len(unis), "recipients": len(to)}}); err != nil {
			return err
		}
		return s.alert(ctx, n, to, false)
	})
	if err != nil {
		return model.Notice{}, service.Wrap("发布通知", err)
	}
	return n, nil
}

// alert enqueues the notice's template alert to users.
func (s *Service) alert(ctx context.Context, n model.Notice, users []model.User, reminder bool) error {
	title := n.Title
	if reminder {
		title = "【未读提醒】" + title
	}
	return s.notify.Send(ctx, alertkind.Notice, users, Path(n.ID), map[string]string{
		"title": title, "time": notify.Time(n.CreatedAt),
	})
}

// Path is the page of notice id.
func Path(id uint64) string { return "/h5/notices/" + strconv.FormatUint(id, 10) }

// targets are the universities in addresses, by code; a chosen code
// that is no university is a field error.
func (s *Service) targets(ctx context.Context, in Input) ([]model.University, error) {
	q := s.db.Conn(ctx).Order("code")
	switch in.Target {
	case model.NoticeTargetBatch:
		q = q.Where("batch = ?", in.Batch)
	case model.NoticeTargetChosen:
		codes := slices.Compact(slices.Sorted(slices.Values(in.Universities)))
		q = q.Where("code IN ?", codes)
		var unis []model.University
		if err := q.Find(&unis).Error; err != nil {
			return nil, service.Wrap("发布通知", err)
		}
		if len(unis) != len(codes) {
			msg := "所选高校中有不存在的学校，请重新选择"
			return nil, service.Invalid("invalid_notice", msg, map[string]string{"universities": msg})
		}
		return unis, nil
	}
	var unis []model.University
	if err := q.Find(&unis).Error; err != nil {
		return nil, service.Wrap("发布通知", err)
	}
	return unis, nil
}

// resolve lists the accounts a notice to unis reaches: their university
// admins and, with cadres, their cadres. One row per account, however
// many of the roles it holds.
func (s *Service) resolve(ctx context.Context, unis []model.University, cadres bool) ([]model.User, error) {
	roles := []string{model.RoleUniversityAdm}
	if cadres {
		roles = append(roles, model.RoleCadre)
	}
	ids := make([]uint64, len(unis))
	for i, u := range unis {
		ids[i] = u.ID
	}
	var users []model.User
	// idx_user_uni_roles (university_id, roles): roles > 0 passes over
	// each university's students (roles 0, nearly all its accounts)
	// within the index, so a notice to all 166 reads the holders of a
	// role only.
	err := s.db.Conn(ctx).Select("id", "university_id", "role", "roles", "openid").
		Where("university_id IN ? AND roles > 0", ids).Where(model.HasRoleSQL, model.RoleMask(roles...)).Order("id").Find(&users).Error
	return users, err
}

// Summary is a line of the province's list.
type Summary struct {
	Notice       model.Notice
	Universities int // how many were targeted
}

// Sent is the province's list, newest first, page p (from 1), and how
// many notices there are.
func (s *Service) Sent(ctx context.Context, actor model.User, p int) ([]Summary, int64, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return nil, 0, errNotProvince
	}
	p = max(1, min(p, 500))
	var total int64
	if err := s.db.Conn(ctx).Model(&model.Notice{}).Count(&total).Error; err != nil {
		return nil, 0, service.Wrap("读取通知", err)
	}
	var ns []model.Notice
	if err := s.db.Conn(ctx).Order("id DESC").Limit(PageSize).Offset((p - 1) * PageSize).Find(&ns).Error; err != nil {
		return nil, 0, service.Wrap("读取通知", err)
	}
	counts := map[uint64]int{}
	if len(ns) > 0 {
		ids := make([]uint64, len(ns))
		for i, n := range ns {
			ids[i] = n.ID
		}
		var rows []struct {
			NoticeID uint64
			N        int
		}
		if err := s.db.Conn(ctx).Model(&model.NoticeTarget{}).Select("notice_id, COUNT(*) AS n").
			Where("notice_id IN ?", ids).Group("notice_id").Scan(&rows).Error; err != nil {
			return nil, 0, service.Wrap("读取通知", err)
		}
		for _, r := range rows {
			counts[r.NoticeID] = r.N
		}
	}
	out := make([]Summary, len(ns))
	for i, n := range ns {
		out[i] = Summary{Notice: n, Universities: counts[n.ID]}
	}
	return out, total, nil
}

// Person is a recipient as the receipts show them.
type Person struct {
	UserID     uint64
	Name       string // the account's name, else the account
	Kind       string // model.NoticeRecipient*
	ReadAt     *time.Time
	RemindedAt *time.Time
}

// UniversityReads is one university's line of a notice's receipts.
type UniversityReads struct {
	University model.University
	Recipients int
	Read       int
	LastRead   *time.Time
	Unread     []Person // by name
	Readers    []Person // by the time they read, first first
}

// Receipts is who has read a notice, per university: the universities
// with unread recipients first (most unread first), then those all read,
// then those without recipients, each by code.
type Receipts struct {
	Notice       model.Notice
	Universities []UniversityReads
}

// Reads is the receipts of notice id (province admin only).
func (s *Service) Reads(ctx context.Context, actor model.User, id uint64) (Receipts, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return Receipts{}, errNotProvince
	}
	n, err := s.notice(ctx, id)
	if err != nil {
		return Receipts{}, err
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Where("id IN (?)", s.db.Conn(ctx).Model(&model.NoticeTarget{}).Select("university_id").
		Where("notice_id = ?", id)).Order("code").Find(&unis).Error; err != nil {
		return Receipts{}, service.Wrap("读取阅读情况", err)
	}
	var rows []struct {
		model.NoticeRecipient
		Name    string
		Account string
	}
	// One notice's receipts: the primary key's prefix.
	if err := s.db.Conn(ctx).Table("notice_recipients AS r").
		Select("r.notice_id, r.user_id, r.university_id, r.kind, r.read_at, r.reminded_at, u.name, u.account").
		Joins("JOIN users u ON u.id = r.user_id").Where("r.notice_id = ?", id).Scan(&rows).Error; err != nil {
		return Receipts{}, service.Wrap("读取阅读情况", err)
	}
	byUni := make(map[uint64]*UniversityReads, len(unis))
	out := Receipts{Notice: n, Universities: make([]UniversityReads, len(unis))}
	for i, u := range unis {
		out.Universities[i] = UniversityReads{University: u}
		byUni[u.ID] = &out.Universities[i]
	}
	for _, r := range rows {
		ur := byUni[r.UniversityID]
		if ur == nil {
			continue // an account moved since; its university was targeted
		}
		p := Person{UserID: r.UserID, Name: r.Name, Kind: r.Kind, ReadAt: r.ReadAt, RemindedAt: r.RemindedAt}
		if p.Name == "" {
			p.Name = r.Account
		}
		ur.Recipients++
		if r.ReadAt == nil {
			ur.Unread = append(ur.Unread, p)
			continue
		}
		ur.Read++
		ur.Readers = append(ur.Readers, p)
		if ur.LastRead == nil || r.ReadAt.After(*ur.LastRead) {
			t := *r.ReadAt
			ur.LastRead = &t
		}
	}
	for i := range out.Universities {
		ur := &out.Universities[i]
		slices.SortFunc(ur.Unread, func(a, b Person) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(ur.Readers, func(a, b Person) int { return a.ReadAt.Compare(*b.ReadAt) })
	}
	// The province chases the unread; universities nobody could receive
	// it at (no admin yet) come last.
	slices.SortStableFunc(out.Universities, func(a, b UniversityReads) int {
		if d := len(b.Unread) - len(a.Unread); d != 0 {
			return d
		}
		return min(b.Recipients, 1) - min(a.Recipients, 1)
	})
	return out, nil
}

// RemindResult is what 提醒未读 did.
type RemindResult struct {
	Reminded int // alerted now
	Waiting  int // unread but alerted within RemindEvery: left alone
	// Next is when the first of those may be reminded; nil without any.
	Next *time.Time
}

// Remind alerts notice id's unread recipients again (province admin),
// those of university uni only unless it is "": each person at most once
// every RemindEvery, counting the publication's alert.
func (s *Service) Remind(ctx context.Context, actor model.User, id uint64, uni string) (RemindResult, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return RemindResult{}, errNotProvince
	}
	n, err := s.notice(ctx, id)
	if err != nil {
		return RemindResult{}, err
	}
	var uniID uint64
	if uni != "" {
		var u model.University
		if err := s.db.Conn(ctx).Where("code = ?", uni).Take(&u).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return RemindResult{}, service.NotFound("university_not_found", "学校不存在")
		} else if err != nil {
			return RemindResult{}, service.Wrap("提醒未读", err)
		}
		uniID = u.ID
	}
	now := s.clock.Now().UTC().Truncate(time.Second)
	cutoff := now.Add(-RemindEvery)
	var res RemindResult
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked (MySQL): a second 提醒未读 at the same moment waits, then
		// finds them reminded.
		q := s.db.ForUpdate(ctx).Where("notice_id = ? AND read_at IS NULL", id)
		if uniID != 0 {
			q = q.Where("university_id = ?", uniID)
		}
		var unread []model.NoticeRecipient
		if err := q.Find(&unread).Error; err != nil {
			return err
		}
		var due []uint64
		for _, r := range unread {
			last := n.CreatedAt
			if r.RemindedAt != nil {
				last = *r.RemindedAt
			}
			if last.After(cutoff) {
				res.Waiting++
				next := last.Add(RemindEvery)
				if res.Next == nil || next.Before(*res.Next) {
					res.Next = &next
				}
				continue
			}
			due = append(due, r.UserID)
		}
		if len(due) == 0 {
			return nil
		}
		res.Reminded = len(due)
		var users []model.User
		for chunk := range slices.Chunk(due, 500) {
			if err := s.db.Conn(ctx).Model(&model.NoticeRecipient{}).Where("notice_id = ? AND user_id IN ?", id, chunk).
				Update("reminded_at", now).Error; err != nil {
				return err
			}
			var some []model.User
			if err := s.db.Conn(ctx).Select("id", "openid").Where("id IN ?", chunk).Find(&some).Error; err != nil {
				return err
			}
			users = append(users, some...)
		}
		return s.alert(ctx, n, users, true)
	})
	if err != nil {
		return RemindResult{}, service.Wrap("提醒未读", err)
	}
	return res, nil
}

// Item is a notice in a person's 通知 list.
type Item struct {
	Notice model.Notice
	ReadAt *time.Time // nil: unread
}

// Mine is the 通知 list of actor: every unread notice, then the latest
// read ones, each newest first. Anyone signed in may ask; a person no
// notice was sent to has an empty list.
func (s *Service) Mine(ctx context.Context, actor model.User) ([]Item, error) {
	var rows []model.NoticeRecipient
	// idx_notice_recipient_user (user_id, read_at) finds both parts.
	if err := s.db.Conn(ctx).Where("user_id = ? AND read_at IS NULL", actor.ID).Order("notice_id DESC").Find(&rows).Error; err != nil {
		return nil, service.Wrap("读取通知", err)
	}
	var read []model.NoticeRecipient
	if err := s.db.Conn(ctx).Where("user_id = ? AND read_at IS NOT NULL", actor.ID).Order("notice_id DESC").Limit(maxRead).
		Find(&read).Error; err != nil {
		return nil, service.Wrap("读取通知", err)
	}
	rows = append(rows, read...)
	if len(rows) == 0 {
		return []Item{}, nil
	}
	ids := make([]uint64, len(rows))
	for i, r := range rows {
		ids[i] = r.NoticeID
	}
	var ns []model.Notice
	// Without the body: a list shows titles.
	if err := s.db.Conn(ctx).Omit("body").Where("id IN ?", ids).Find(&ns).Error; err != nil {
		return nil, service.Wrap("读取通知", err)
	}
	byID := make(map[uint64]model.Notice, len(ns))
	for _, n := range ns {
		byID[n.ID] = n
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		if n, ok := byID[r.NoticeID]; ok {
			out = append(out, Item{Notice: n, ReadAt: r.ReadAt})
		}
	}
	return out, nil
}

// Unread is how many notices actor has not read (the badge on 主页).
func (s *Service) Unread(ctx context.Context, actor model.User) (int64, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&model.NoticeRecipient{}).Where("user_id = ? AND read_at IS NULL", actor.ID).Count(&n).Error
	return n, service.Wrap("读取通知", err)
}

// View is a notice as its page shows it.
type View struct {
	Notice model.Notice
	// Recipient: actor is one of its recipients; ReadAt is when they
	// first opened it (now, the first time).
	Recipient bool
	ReadAt    *time.Time
	// Universities is how many universities it was addressed to.
	Universities int
}

// Open is notice id for actor: a recipient, whose first opening is
// recorded as read, or a province admin. To anyone else it does not
// exist.
func (s *Service) Open(ctx context.Context, actor model.User, id uint64) (View, error) {
	var v View
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var r model.NoticeRecipient
		err := s.db.Conn(ctx).Where("notice_id = ? AND user_id = ?", id, actor.ID).Take(&r).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if !actor.Has(model.RoleProvinceAdmin) {
				return errNotFound
			}
		case err != nil:
			return err
		default:
			v.Recipient, v.ReadAt = true, r.ReadAt
		}
		if v.Recipient && v.ReadAt == nil {
			now := s.clock.Now().UTC().Truncate(time.Second)
			res := s.db.Conn(ctx).Model(&model.NoticeRecipient{}).Where("notice_id = ? AND user_id = ? AND read_at IS NULL", id, actor.ID).
				Update("read_at", now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 1 { // not a second tab's opening at the same time
				if err := s.db.Conn(ctx).Model(&model.Notice{}).Where("id = ?", id).
					Update("read_count", gorm.Expr("read_count + 1")).Error; err != nil {
					return err
				}
			}
			v.ReadAt = &now
		}
		n, err := s.notice(ctx, id)
		if err != nil {
			return err
		}
		v.Notice = n
		var count int64
		if err := s.db.Conn(ctx).Model(&model.NoticeTarget{}).Where("notice_id = ?", id).Count(&count).Error; err != nil {
			return err
		}
		v.Universities = int(count)
		return nil
	})
	if err != nil {
		return View{}, service.Wrap("读取通知", err)
	}
	return v, nil
}

// AttachmentOf is notice id's attachment, for its recipients and the
// province admins (as Open, without marking it read).
func (s *Service) AttachmentOf(ctx context.Context, actor model.User, id uint64) (model.Notice, []byte, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		var n int64
		if err := s.db.Conn(ctx).Model(&model.NoticeRecipient{}).Where("notice_id = ? AND user_id = ?", id, actor.ID).
			Count(&n).Error; err != nil {
			return model.Notice{}, nil, service.Wrap("下载附件", err)
		}
		if n == 0 {
			return model.Notice{}, nil, errNotFound
		}
	}
	n, err := s.notice(ctx, id)
	if err != nil {
		return model.Notice{}, nil, err
	}
	if n.AttachmentName == "" {
		return model.Notice{}, nil, service.NotFound("no_attachment", "该通知没有附件")
	}
	var pieces []model.NoticeAttachment
	if err := s.db.Conn(ctx).Where("notice_id = ?", id).Order("seq").Find(&pieces).Error; err != nil {
		return model.Notice{}, nil, service.Wrap("下载附件", err)
	}
	data := make([]byte, 0, n.AttachmentSize)
	for _, p := range pieces {
		data = append(data, p.Data...)
	}
	if int64(len(data)) != n.AttachmentSize {
		return model.Notice{}, nil, fmt.Errorf("下载附件: 通知 %d 的附件有 %d 字节，应为 %d", id, len(data), n.AttachmentSize)
	}
	return n, data, nil
}

// notice reads notice id.
func (s *Service) notice(ctx context.Context, id uint64) (model.Notice, error) {
	var n model.Notice
	err := s.db.Conn(ctx).Take(&n, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return n, errNotFound
	}
	return n, service.Wrap("读取通知", err)
}
