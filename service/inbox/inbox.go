// Package inbox is 我的消息: every alert the service sends is also
// stored, one message per recipient account, so that a person finds it
// in the list whether or not WeChat delivered it (template not
// configured, the person refused the account's messages, the daily
// quota spent, no WeChat bound). The notifier adds messages in the
// transaction that queues the alert; a person lists, opens and marks
// their own messages read, and nobody else's.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
)

// PageSize is the length of a page of the list.
const PageSize = 20

// Retention is how long messages are kept by default: service/retention
// deletes older ones (YV_MESSAGE_RETENTION_DAYS).
const Retention = 180 * 24 * time.Hour

// addBatch is how many rows one INSERT of Add carries: a province
// notice reaches thousands of accounts at once.
const addBatch = 500

var (
	errNotFound  = service.NotFound("message_not_found", "消息不存在")
	errBadCursor = service.Invalid("bad_cursor", "翻页链接已失效，请从第一页重新浏览", map[string]string{"after": "翻页参数无效"})
)

// Inbox stores and lists the messages.
type Inbox struct {
	db  *model.DB
	clk clock.Clock
}

// New builds the inbox. All dependencies are required.
func New(db *model.DB, clk clock.Clock) (*Inbox, error) {
	if db == nil || clk == nil {
		return nil, errors.New("inbox.New: nil dependency")
	}
	return &Inbox{db: db, clk: clk}, nil
}

// Entry is one alert to list for a person.
type Entry struct {
	UserID uint64
	Kind   alertkind.Kind
	Path   string            // the H5 page it opens: /h5/questions/12
	Values map[string]string // by our field names (alertkind)
}

// Add stores es and runs with (queueing the alerts) in one transaction,
// the caller's when ctx carries one: a message is listed exactly when
// its alert is queued.
func (b *Inbox) Add(ctx context.Context, es []Entry, with func(ctx context.Context) error) error {
	now := b.clk.Now().UTC().Truncate(time.Second)
	rows := make([]model.Message, 0, len(es))
	for _, e := range es {
		if e.UserID == 0 || !e.Kind.Valid() {
			return errors.New("inbox.Add: user and kind are required")
		}
		fields, err := json.Marshal(e.Values)
		if err != nil {
			return err
		}
		rows = append(rows, model.Message{UserID: e.UserID, Kind: e.Kind.Key(), Title: e.Kind.Name(),
			Summary: Summary(e.Kind, e.Values), Fields: string(fields), Path: clip(e.Path, 255), CreatedAt: now})
	}
	return b.db.WithTx(ctx, func(ctx context.Context) error {
		if len(rows) > 0 {
			if err := b.db.Conn(ctx).CreateInBatches(rows, addBatch).Error; err != nil {
				return service.Wrap("保存我的消息", err)
			}
		}
		if with == nil {
			return nil
		}
		return with(ctx)
	})
}

// summaries are the one-line texts of the kinds: {field} is the value of
// our field of that name.
var summaries = map[alertkind.Kind]string{
	alertkind.QuestionNew:        "「{title}」（{board}）等待答复",
	alertkind.Answered:           "「{title}」由 {answerer} 答复",
	alertkind.FollowUp:           "「{title}」追问：{content}",
	alertkind.Reminder:           "「{title}」（{board}）将于 {due} 超时，请尽快答复",
	alertkind.Overdue:            "「{title}」（{university}）已于 {due} 超时未答复",
	alertkind.ApplicationDecided: "干部申请{result}：{reason}",
	alertkind.Moderated:          "「{title}」{result}：{reason}",
	alertkind.BookingNew:         "{service}（{slot}），请于 {due} 前回复",
	alertkind.BookingReply:       "{service}：{result}，{detail}",
	alertkind.BookingReminder:    "{service}（{slot}）将于 {due} 超时，请尽快回复",
	alertkind.BookingEscalated:   "{station} 的{service}预约已于 {due} 超时未反馈",
	alertkind.Appointment:        "{service} 将于 {time} 在 {place} 开始",
	alertkind.BookingServed:      "{service}：{result}，请评价本次服务",
	alertkind.BookingReferral:    "「{title}」已转介到 {station}（{service}）",
	alertkind.BookingChanged:     "{service}：{result}，{detail}",
	alertkind.RoleChanged:        "{role}：{result}，{reason}",
	alertkind.OnboardingReminder: "{university} 尚缺：{missing}，截止 {due}",
	alertkind.OnboardingLate:     "{university} 逾期未正常运营，尚缺：{missing}（{due}）",
	alertkind.Notice:             "「{title}」",
	alertkind.PasswordChanged:    "密码已于 {time} {how}，如非本人操作请立即联系本校团委管理员",
	alertkind.QuestionWithdrawn:  "「{title}」（{board}）已被提问者撤回，无需答复",
}

// Summary is the one-line text of an alert of kind k with vals: its
// fields put into the kind's sentence, the punctuation around an empty
// one dropped; at most 120 characters.
func Summary(k alertkind.Kind, vals map[string]string) string {
	f, ok := summaries[k]
	if !ok {
		return ""
	}
	var out strings.Builder
	for {
		i := strings.IndexByte(f, '{')
		if i < 0 {
			out.WriteString(f)
			break
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			out.WriteString(f)
			break
		}
		out.WriteString(f[:i])
		out.WriteString(oneLine(vals[f[i+1:i+j]]))
		f = f[i+j+1:]
	}
	s := out.String()
	// An empty value leaves 「」, （） or a dangling separator behind.
	for _, junk := range []string{"「」", "（）", "：，", "，，"} {
		s = strings.ReplaceAll(s, junk, "")
	}
	s = strings.TrimRight(strings.TrimSpace(s), "：，")
	return clip(s, 120)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Page is one page of a person's list, newest first.
type Page struct {
	Messages []model.Message
	// Next is the cursor of the following (older) page, "" on the last.
	Next string
}

// List is actor's messages, newest first, PageSize at a time: after is
// "" for the first page, else the Next of the previous one.
func (b *Inbox) List(ctx context.Context, actor model.User, after string) (Page, error) {
	q := b.db.Conn(ctx).Omit("fields").Where("user_id = ?", actor.ID)
	if after != "" {
		id, err := strconv.ParseUint(after, 10, 63)
		if err != nil || id == 0 {
			return Page{}, errBadCursor
		}
		q = q.Where("id < ?", id)
	}
	// idx_messages_user_id (user_id, id): one range read however many
	// messages a person has.
	var rows []model.Message
	if err := q.Order("id DESC").Limit(PageSize + 1).Find(&rows).Error; err != nil {
		return Page{}, service.Wrap("读取我的消息", err)
	}
	p := Page{Messages: rows}
	if len(rows) > PageSize {
		p.Messages = rows[:PageSize]
		p.Next = strconv.FormatUint(rows[PageSize-1].ID, 10)
	}
	return p, nil
}

// Unread is how many of actor's messages are unread (the badge on 主页).
func (b *Inbox) Unread(ctx context.Context, actor model.User) (int64, error) {
	var n int64
	// idx_messages_user_read (user_id, read_at).
	err := b.db.Conn(ctx).Model(&model.Message{}).Where("user_id = ? AND read_at IS NULL", actor.ID).Count(&n).Error
	return n, service.Wrap("读取未读消息数", err)
}

// Open marks actor's message id read (the first time) and returns it;
// someone else's message does not exist for actor.
func (b *Inbox) Open(ctx context.Context, actor model.User, id uint64) (model.Message, error) {
	var m model.Message
	err := b.db.Conn(ctx).Where("id = ? AND user_id = ?", id, actor.ID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, errNotFound
	}
	if err != nil {
		return m, service.Wrap("读取消息", err)
	}
	if m.ReadAt == nil {
		now := b.clk.Now().UTC().Truncate(time.Second)
		if err := b.db.Conn(ctx).Model(&model.Message{}).Where("id = ? AND read_at IS NULL", id).
			Update("read_at", now).Error; err != nil {
			return m, service.Wrap("标记消息已读", err)
		}
		m.ReadAt = &now
	}
	return m, nil
}

// ReadAll marks every unread message of actor read and says how many.
func (b *Inbox) ReadAll(ctx context.Context, actor model.User) (int64, error) {
	now := b.clk.Now().UTC().Truncate(time.Second)
	res := b.db.Conn(ctx).Model(&model.Message{}).Where("user_id = ? AND read_at IS NULL", actor.ID).Update("read_at", now)
	return res.RowsAffected, service.Wrap("全部标为已读", res.Error)
}

// Path is the H5 page of message id (which marks it read and opens its
// link).
func Path(id uint64) string { return "/h5/messages/" + strconv.FormatUint(id, 10) }
