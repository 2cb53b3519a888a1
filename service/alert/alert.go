// Package alert is a transactional outbox for WeChat template messages.
// Enqueue stores a message in the caller's transaction; a Sender claims due
// rows, sends them and records the outcome, retrying what WeChat may accept
// later and giving up on what it never will.
package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// StatusSending marks a row a sender has claimed (see ClaimedBy and
// ClaimedUntil); it is reclaimable once ClaimedUntil has passed.
const StatusSending = "sending"

// statusNames are the outbox statuses as the admin page shows them.
var statusNames = map[string]string{
	model.TemplatePending:       "待发送",
	StatusSending:               "发送中",
	model.TemplateSent:          "已发送",
	model.TemplateFailed:        "发送失败",
	model.TemplateUndeliverable: "无法送达",
	model.TemplateUnknown:       "状态未知",
}

// StatusName is the Chinese label of an outbox status (状态未知 for
// model.TemplateUnknown); the status itself when unknown to us.
func StatusName(status string) string {
	if n, ok := statusNames[status]; ok {
		return n
	}
	return status
}

// maxValueRunes is WeChat's 2023 limit on a template value.
const maxValueRunes = 20

// Alert is one template message to send.
type Alert struct {
	OpenID      string
	TemplateKey string // our name for the template, for logs
	TemplateID  string
	URL         string
	Data        map[string]string
}

// Outbox stores alerts for the Sender.
type Outbox struct {
	db  *model.DB
	clk clock.Clock
}

// NewOutbox builds an outbox. All dependencies are required.
func NewOutbox(db *model.DB, clk clock.Clock) (*Outbox, error) {
	if db == nil || clk == nil {
		return nil, errors.New("alert.NewOutbox: nil dependency")
	}
	return &Outbox{db: db, clk: clk}, nil
}

// Enqueue stores a for sending. It runs on db.Conn(ctx), so inside
// db.WithTx it commits or rolls back with the caller's changes.
func (o *Outbox) Enqueue(ctx context.Context, a Alert) error {
	return o.EnqueueAll(ctx, []Alert{a})
}

// enqueueBatch is how many rows one INSERT of EnqueueAll carries: a
// province notice reaches thousands of accounts, and one statement per
// row made its transaction long.
const enqueueBatch = 500

// EnqueueAll stores every alert of as, in batches of multi-row INSERTs,
// on db.Conn(ctx) as Enqueue does: all of them or, on an error, none
// within the caller's transaction.
func (o *Outbox) EnqueueAll(ctx context.Context, as []Alert) error {
	if len(as) == 0 {
		return nil
	}
	now := o.clk.Now().UTC().Truncate(timePrecision)
	rows := make([]model.TemplateMessage, 0, len(as))
	for _, a := range as {
		if a.OpenID == "" || a.TemplateID == "" {
			return errors.New("alert.Enqueue: OpenID and TemplateID are required")
		}
		if utf8.RuneCountInString(a.OpenID) > 64 || utf8.RuneCountInString(a.TemplateKey) > 64 ||
			utf8.RuneCountInString(a.TemplateID) > 128 || utf8.RuneCountInString(a.URL) > 1024 {
			return errors.New("alert.Enqueue: OpenID, TemplateKey, TemplateID or URL too long")
		}
		data, err := json.Marshal(CleanData(a.Data))
		if err != nil {
			return fmt.Errorf("alert.Enqueue: encode data: %w", err)
		}
		rows = append(rows, model.TemplateMessage{
			OpenID:        a.OpenID,
			TemplateKey:   a.TemplateKey,
			TemplateID:    a.TemplateID,
			URL:           a.URL,
			Data:          string(data),
			Status:        model.TemplatePending,
			NextAttemptAt: now,
			CreatedAt:     now,
			UpdatedAt:     now,
		})
	}
	if err := o.db.Conn(ctx).CreateInBatches(rows, enqueueBatch).Error; err != nil {
		return fmt.Errorf("保存待发送的模板消息失败: %w", err)
	}
	return nil
}

// CleanData applies WeChat's 2023 template rules: the first and remark
// keys are gone, values have no line breaks and at most 20 characters
// (longer ones end in "…"). Colours are not representable here at all.
func CleanData(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if k == "first" || k == "remark" {
			continue
		}
		out[k] = CleanValue(v)
	}
	return out
}

// CleanValue replaces line breaks with spaces and truncates to 20 runes.
func CleanValue(v string) string {
	v = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(v)
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "�")
	}
	if utf8.RuneCountInString(v) <= maxValueRunes {
		return v
	}
	r := []rune(v)
	return string(r[:maxValueRunes-1]) + "…"
}

// ConfigProblem is a template WeChat rejected as misconfigured (40037
// invalid template id, 47003 arguments not matching the template), or,
// with Credentials set, messages held back because WeChat refused the
// account's AppID, AppSecret or IP address when asked for an access
// token (Hint says which; see wxapi.CredentialHint), or, with Quota set,
// messages held back until Until because WeChat answered 45009: the
// account's daily quota is used up.
type ConfigProblem struct {
	TemplateKey string     `json:"template_key"`
	TemplateID  string     `json:"template_id"`
	LastErrCode int        `json:"last_errcode"`
	Count       int64      `json:"count"`
	LastID      uint64     `json:"last_id"`
	Credentials bool       `json:"credentials"`
	Quota       bool       `json:"quota"`
	Until       *time.Time `json:"until,omitempty"`
	Hint        string     `json:"hint,omitempty"`
}

// quotaHint explains a Quota problem.
const quotaHint = "今日微信接口调用额度已用完，模板消息暂停发送，北京时间零点后自动补发；在此之前每小时试发一条"

// ProblemWindow is how far back the admin view looks for configuration
// errors.
const ProblemWindow = 7 * 24 * time.Hour

// ConfigProblemsFor lists the configuration errors of the last
// ProblemWindow for a university or province admin; others are refused.
func (o *Outbox) ConfigProblemsFor(ctx context.Context, viewer model.User) ([]ConfigProblem, error) {
	if !viewer.HasAny(model.RoleUniversityAdm, model.RoleProvinceAdmin) {
		return nil, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看")
	}
	ps, err := o.ConfigProblems(ctx, o.clk.Now().Add(-ProblemWindow))
	if ps == nil && err == nil {
		ps = []ConfigProblem{}
	}
	return ps, err
}

// ConfigProblems lists configuration errors since since: a credential
// problem first (one entry per errcode), then a spent daily quota, then
// each template WeChat rejected, by key.
func (o *Outbox) ConfigProblems(ctx context.Context, since time.Time) ([]ConfigProblem, error) {
	var rows []ConfigProblem
	err := o.db.Conn(ctx).Model(&model.TemplateMessage{}).
		Select("template_key, template_id, last_err_code, COUNT(*) AS count, MAX(id) AS last_id").
		Where("config_error = ? AND updated_at >= ?", true, since.UTC()).
		Group("template_key, template_id, last_err_code").Order("template_key").Order("template_id").Order("last_err_code").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("读取模板配置错误: %w", err)
	}
	var creds, templates []ConfigProblem
	byCode := map[int]int{} // credential errcode → index in creds
	for _, r := range rows {
		hint, ok := wxapi.CredentialHint(r.LastErrCode)
		if !ok {
			templates = append(templates, r)
			continue
		}
		// Not a template's fault: one entry for all templates.
		i, seen := byCode[r.LastErrCode]
		if !seen {
			byCode[r.LastErrCode] = len(creds)
			creds = append(creds, ConfigProblem{LastErrCode: r.LastErrCode, Credentials: true, Hint: hint})
			i = len(creds) - 1
		}
		creds[i].Count += r.Count
		creds[i].LastID = max(creds[i].LastID, r.LastID)
	}
	quota, err := o.quotaProblem(ctx)
	if err != nil {
		return nil, err
	}
	if quota != nil {
		creds = append(creds, *quota)
	}
	return append(creds, templates...), nil
}

// quotaHeld narrows q to the messages that met 45009 and wait, after
// now, for the quota to be renewed.
func quotaHeld(q *gorm.DB, now time.Time) *gorm.DB {
	return q.Where("status = ? AND last_err_code = ? AND next_attempt_at > ?", model.TemplatePending, wxapi.CodeQuotaExceeded, now)
}

// quotaProblem reports a spent daily quota: a message that met 45009 and
// waits for midnight, with how many messages of the whole province wait
// in all; nil when none does.
func (o *Outbox) quotaProblem(ctx context.Context) (*ConfigProblem, error) {
	conn := o.db.Conn(ctx)
	var held model.TemplateMessage
	err := quotaHeld(conn.Select("id", "next_attempt_at"), o.clk.Now().UTC()).
		Order("next_attempt_at DESC").Order("id DESC").Take(&held).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("读取模板消息额度状态失败: %w", err)
	}
	var waiting int64
	if err := conn.Model(&model.TemplateMessage{}).
		Where("status IN ?", []string{model.TemplatePending, StatusSending}).Count(&waiting).Error; err != nil {
		return nil, fmt.Errorf("统计待发送的模板消息失败: %w", err)
	}
	until := held.NextAttemptAt
	return &ConfigProblem{
		LastErrCode: wxapi.CodeQuotaExceeded, Count: waiting, LastID: held.ID,
		Quota: true, Until: &until, Hint: quotaHint,
	}, nil
}

// UnknownMessage is a message in 状态未知 (model.TemplateUnknown): an
// attempt to send it may have reached WeChat, but its outcome was never
// stored, and it was not sent again lest the user get it twice.
type UnknownMessage struct {
	ID          uint64 `json:"id"`
	TemplateKey string `json:"template_key"`
	// Name is the alert's Chinese name (alertkind), or the key.
	Name string `json:"name"`
	// Status and StatusName: "unknown", 状态未知.
	Status     string `json:"status"`
	StatusName string `json:"status_name"`
	// URL is the page the alert links to.
	URL              string    `json:"url"`
	CreatedAt        time.Time `json:"created_at"`
	AttemptStartedAt time.Time `json:"attempt_started_at"`
}

// UnknownReport lists the messages in 状态未知 of the last ProblemWindow.
type UnknownReport struct {
	Count    int64            `json:"count"`
	Messages []UnknownMessage `json:"messages"` // newest first, at most MaxUnknownListed
	Hint     string           `json:"hint"`
}

// MaxUnknownListed bounds UnknownReport.Messages.
const MaxUnknownListed = 100

// unknownHint explains 状态未知 on the admin page.
const unknownHint = "发送这些提醒时实例意外中止（如被强制结束），提醒可能已送达，也可能没有；微信只在 10 分钟内按消息编号去除重复，之后再发可能让用户收到两条，所以不再自动重发。如有必要，请通过其他方式确认或告知对方"

// UnknownFor lists the messages marked 状态未知 in the last ProblemWindow
// for a university or province admin (as ConfigProblemsFor); others are
// refused. Recipients are not shown.
func (o *Outbox) UnknownFor(ctx context.Context, viewer model.User) (UnknownReport, error) {
	if !viewer.HasAny(model.RoleUniversityAdm, model.RoleProvinceAdmin) {
		return UnknownReport{}, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看")
	}
	since := o.clk.Now().Add(-ProblemWindow).UTC()
	q := func() *gorm.DB {
		return o.db.Conn(ctx).Model(&model.TemplateMessage{}).Where("status = ? AND updated_at >= ?", model.TemplateUnknown, since)
	}
	r := UnknownReport{Messages: []UnknownMessage{}, Hint: unknownHint}
	if err := q().Count(&r.Count).Error; err != nil {
		return UnknownReport{}, fmt.Errorf("统计状态未知的模板消息失败: %w", err)
	}
	var rows []model.TemplateMessage
	if err := q().Select("id", "template_key", "url", "created_at", "attempt_started_at", "updated_at").
		Order("updated_at DESC").Order("id DESC").Limit(MaxUnknownListed).Find(&rows).Error; err != nil {
		return UnknownReport{}, fmt.Errorf("读取状态未知的模板消息失败: %w", err)
	}
	for _, m := range rows {
		u := UnknownMessage{ID: m.ID, TemplateKey: m.TemplateKey, Name: m.TemplateKey, Status: model.TemplateUnknown,
			StatusName: StatusName(model.TemplateUnknown), URL: m.URL, CreatedAt: m.CreatedAt}
		if k, ok := alertkind.Parse(m.TemplateKey); ok {
			u.Name = k.Name()
		}
		if m.AttemptStartedAt != nil {
			u.AttemptStartedAt = *m.AttemptStartedAt
		}
		r.Messages = append(r.Messages, u)
	}
	return r, nil
}
