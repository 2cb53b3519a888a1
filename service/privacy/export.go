package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
)

// exportPage is how many rows an export reads at a time: a person with
// years of posts is streamed, never held in memory whole.
const exportPage = 500

// ExportFiles are the files of an export, in the order written.
var ExportFiles = []string{"说明.txt", "account.json", "questions.json", "answers.json", "metoos.json", "bookings.json", "messages.json"}

// Export is one person's download, allowed by BeginExport.
type Export struct {
	s *Service
	u model.User
	// Filename is the ZIP's name: youthvoice-export-<id>-<Beijing date>.zip.
	Filename string
}

// BeginExport allows u one export per ExportInterval. Taking the place
// before anything is written lets the page and the API answer a refusal
// with an ordinary error rather than a broken download.
func (s *Service) BeginExport(ctx context.Context, u model.User) (*Export, error) {
	if u.ClosedAt != nil {
		return nil, service.Forbidden("account_closed", "该账号已注销")
	}
	ok, err := s.kv.SetNX(ctx, fmt.Sprintf("privacy:export:%d", u.ID), "1", ExportInterval)
	if err != nil {
		return nil, service.Wrap("导出数据", err)
	}
	if !ok {
		return nil, service.TooMany("export_too_often", "每分钟只能导出一次，请稍后再试")
	}
	// The trail keeps every export of personal data, the person's own too.
	if err := audit.Record(ctx, s.db, audit.Entry{Actor: &u, UniversityID: u.UniversityID, Action: audit.ActionExportPersonal,
		ObjectType: "user", ObjectID: audit.ID(u.ID), Summary: "导出了本人的数据（导出我的数据）"}); err != nil {
		return nil, service.Wrap("导出数据", err)
	}
	name := fmt.Sprintf("youthvoice-export-%d-%s.zip", u.ID, s.now().In(clock.Beijing).Format("20060102"))
	return &Export{s: s, u: u, Filename: name}, nil
}

// bj is t as Beijing time text, "" for none.
func bj(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(clock.Beijing).Format("2006-01-02 15:04:05")
}

func bjv(t time.Time) string { return bj(&t) }

// maskOpenID keeps the ends of an openid: enough to recognise, not to use.
func maskOpenID(p *string) string {
	if p == nil {
		return ""
	}
	o := *p
	if len(o) <= 8 {
		return "****"
	}
	return o[:4] + "****" + o[len(o)-4:]
}

const readme = `广东青年之声 · 我的数据

本压缩包是你在「广东青年之声」服务号中的个人数据，每个 JSON 文件是一个数组，时间均为北京时间（UTC+8）。

account.json    账号信息：账号、姓名、显示名称、学校、身份、微信绑定（openid 已部分隐藏）、注册与登录时间
questions.json  我的提问（含已撤回、已隐藏的）
answers.json    我的答复与追问
metoos.json     我点过「同问」的问题
bookings.json   我的服务站预约
messages.json   我的消息（平台发给我的提醒）
`

// WriteTo writes the ZIP to w, reading the person's rows page by page.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) error {
	z := zip.NewWriter(w)
	now := e.s.now()
	file := func(name string) (io.Writer, error) {
		return z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now.In(clock.Beijing)})
	}
	f, err := file(ExportFiles[0])
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, readme); err != nil {
		return err
	}
	steps := []func(context.Context, io.Writer) error{e.account, e.questions, e.answers, e.metoos, e.bookings, e.messages}
	for i, step := range steps {
		f, err := file(ExportFiles[i+1])
		if err != nil {
			return err
		}
		if err := step(ctx, f); err != nil {
			return fmt.Errorf("%s: %w", ExportFiles[i+1], err)
		}
	}
	return z.Close()
}

// array writes a JSON array, one element per line, from rows emitted by
// fill.
func array(w io.Writer, fill func(emit func(any) error) error) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	err := fill(func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		sep := ",\n  "
		if n == 0 {
			sep = "\n  "
		}
		n++
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	end := "]\n"
	if n > 0 {
		end = "\n]\n"
	}
	_, err = io.WriteString(w, end)
	return err
}

// pages reads rows of T by ascending id after the cursor, exportPage at a
// time, until none are left.
func pages[T any](ctx context.Context, e *Export, where string, arg any, id func(T) uint64, emit func(T) error) error {
	var after uint64
	for {
		var rows []T
		if err := e.s.db.Conn(ctx).Where(where, arg).Where("id > ?", after).Order("id").Limit(exportPage).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if err := emit(r); err != nil {
				return err
			}
			after = id(r)
		}
		if len(rows) < exportPage {
			return nil
		}
	}
}

type exportAccount struct {
	ID          uint64   `json:"id"`
	Account     string   `json:"account"`
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	University  string   `json:"university"`
	Roles       []string `json:"roles"`
	WeChat      string   `json:"wechat_openid_masked"`
	BoundAt     string   `json:"bound_at"`
	ActivatedAt string   `json:"activated_at"`
	LastLoginAt string   `json:"last_login_at"`
	CreatedAt   string   `json:"created_at"`
	ExportedAt  string   `json:"exported_at"`
}

func (e *Export) account(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		var u model.User
		if err := e.s.db.Conn(ctx).Take(&u, e.u.ID).Error; err != nil {
			return err
		}
		a := exportAccount{ID: u.ID, Account: u.Account, Name: u.Name, DisplayName: u.DisplayName(), WeChat: maskOpenID(u.OpenID),
			BoundAt: bj(u.BoundAt), ActivatedAt: bj(u.ActivatedAt), LastLoginAt: bj(u.LastLoginAt), CreatedAt: bjv(u.CreatedAt),
			ExportedAt: bjv(e.s.now())}
		for _, r := range u.RoleList() {
			a.Roles = append(a.Roles, model.RoleName(r))
		}
		if u.UniversityID != nil {
			var uni model.University
			if err := e.s.db.Conn(ctx).Select("id", "name").Take(&uni, *u.UniversityID).Error; err == nil {
				a.University = uni.Name
			}
		}
		return emit(a)
	})
}

func (e *Export) questions(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		return pages(ctx, e, "asker_id = ?", e.u.ID, func(q model.Question) uint64 { return q.ID },
			func(q model.Question) error {
				return emit(map[string]any{"id": q.ID, "title": q.Title, "body": q.Body, "anonymous": q.Anonymous,
					"status": q.Status, "rating": q.Rating, "rating_comment": q.RatingComment, "metoo_count": q.MetooCount,
					"created_at": bjv(q.CreatedAt), "first_answered_at": bj(q.FirstAnsweredAt), "updated_at": bjv(q.UpdatedAt)})
			})
	})
}

func (e *Export) answers(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		return pages(ctx, e, "author_id = ?", e.u.ID, func(a model.Answer) uint64 { return a.ID },
			func(a model.Answer) error {
				kind := "答复"
				if a.Kind == model.AnswerKindFollowUp {
					kind = "追问"
				}
				return emit(map[string]any{"id": a.ID, "question_id": a.QuestionID, "kind": kind, "body": a.Body,
					"status": a.Status, "helpful_count": a.HelpfulCount, "created_at": bjv(a.CreatedAt)})
			})
	})
}

func (e *Export) metoos(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		var after uint64
		for {
			var rows []struct {
				QuestionID uint64
				Title      string
				CreatedAt  time.Time
			}
			if err := e.s.db.Conn(ctx).Table("question_metoos m").Select("m.question_id, q.title, m.created_at").
				Joins("JOIN questions q ON q.id = m.question_id").Where("m.user_id = ? AND m.question_id > ?", e.u.ID, after).
				Order("m.question_id").Limit(exportPage).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				if err := emit(map[string]any{"question_id": r.QuestionID, "title": r.Title, "created_at": bjv(r.CreatedAt)}); err != nil {
					return err
				}
				after = r.QuestionID
			}
			if len(rows) < exportPage {
				return nil
			}
		}
	})
}

func (e *Export) bookings(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		return pages(ctx, e, "student_id = ?", e.u.ID, func(b model.Booking) uint64 { return b.ID },
			func(b model.Booking) error {
				return emit(map[string]any{"id": b.ID, "service": b.Service, "status": b.Status,
					"slot_start": bj(b.SlotStart), "slot_end": bj(b.SlotEnd), "contact_phone": b.ContactPhone,
					"description": b.Description, "confirmed_at": bj(b.ConfirmedAt), "place": b.Place, "note": b.Note,
					"decline_reason": b.DeclineReason, "result": b.Result, "rating": b.Rating, "rating_comment": b.RatingComment,
					"created_at": bjv(b.CreatedAt), "served_at": bj(b.ServedAt)})
			})
	})
}

func (e *Export) messages(ctx context.Context, w io.Writer) error {
	return array(w, func(emit func(any) error) error {
		return pages(ctx, e, "user_id = ?", e.u.ID, func(m model.Message) uint64 { return m.ID },
			func(m model.Message) error {
				var fields map[string]string
				_ = json.Unmarshal([]byte(m.Fields), &fields)
				return emit(map[string]any{"id": m.ID, "title": m.Title, "summary": m.Summary, "fields": fields,
					"path": m.Path, "created_at": bjv(m.CreatedAt), "read_at": bj(m.ReadAt)})
			})
	})
}
