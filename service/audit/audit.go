// Package audit is the tamper-evident, append-only audit trail (等保 2.0
// 安全审计): every privileged or personal-data action is recorded, in the
// action's own transaction, with who did it, in which role, when, from
// which IP, on what object and what changed. Each record carries the
// SHA-256 of its fields and of the record before it, so an edited,
// inserted or deleted row breaks the chain Verify walks. Nothing here
// updates or deletes a record except the retention purge, which keeps the
// chain verifiable from its anchor and is itself recorded.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
)

// Entry is what a service records about one action.
type Entry struct {
	// Actor did it; nil for the system (a timer, a command line).
	Actor *model.User
	// Role is the role acted in; empty means the actor's highest role.
	Role string
	// UniversityID is the university the action concerns: its admins see
	// the record. nil: province-wide.
	UniversityID *uint64
	// Action is the stable code (the Action* constants).
	Action string
	// ObjectType and ObjectID name the object acted on.
	ObjectType string
	ObjectID   string
	// Summary is one human-readable Chinese sentence.
	Summary string
	// Detail holds before/after of small fields and the like, as JSON.
	// Never passwords, tokens or secrets; mask phones (MaskPhone) unless
	// the action is about the phone itself.
	Detail map[string]any
	// At is when; zero means now. Tests set it.
	At time.Time
}

// Column widths of audit_log (model.AuditLog): longer text is cut before
// hashing, so what is stored is exactly what was hashed.
const (
	maxAccount = 32
	maxName    = 50
	maxRole    = 20
	maxIP      = 45
	maxUA      = 255
	maxAction  = 40
	maxObjType = 30
	maxObjID   = 64
	maxSummary = 500
	maxDetail  = 16 << 10
)

// ErrChain is returned when the head row is missing: the audit tables are
// not there or were tampered with; no action may go on unrecorded.
var ErrChain = errors.New("审计日志不可用")

// Record appends e to the trail in the transaction ctx carries (db.WithTx
// joins it), so the action and its record commit or roll back together:
// the caller returns Record's error from its WithTx. Outside a transaction
// Record runs in one of its own.
func Record(ctx context.Context, db *model.DB, e Entry) error {
	if db == nil {
		return errors.New("audit.Record: nil database")
	}
	if e.Action == "" || e.Summary == "" {
		return errors.New("audit.Record: action and summary are required")
	}
	row := model.AuditLog{
		At:           e.At,
		UniversityID: e.UniversityID,
		Action:       cut(e.Action, maxAction),
		ObjectType:   cut(e.ObjectType, maxObjType),
		ObjectID:     cut(e.ObjectID, maxObjID),
		Summary:      cut(e.Summary, maxSummary),
		Detail:       "{}",
	}
	if row.At.IsZero() {
		row.At = time.Now()
	}
	row.At = row.At.UTC().Truncate(time.Millisecond)
	if a := e.Actor; a != nil {
		id := a.ID
		row.ActorID = &id
		row.ActorAccount = cut(a.Account, maxAccount)
		row.ActorName = cut(a.Name, maxName)
		row.ActorRole = e.Role
		if row.ActorRole == "" {
			row.ActorRole = model.PrimaryRole(a.Roles)
			if a.Roles == 0 && a.Role != "" {
				row.ActorRole = a.Role
			}
		}
		row.ActorRole = cut(row.ActorRole, maxRole)
	} else {
		row.ActorRole = "system"
	}
	req := requestOf(ctx)
	row.IP, row.UserAgent = cut(req.ip, maxIP), cut(req.ua, maxUA)
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit detail: %w", err)
		}
		row.Detail = string(b)
		if len(row.Detail) > maxDetail {
			row.Detail = `{"truncated":true}`
		}
	}
	return db.WithTx(ctx, func(ctx context.Context) error {
		return appendRow(ctx, db, &row)
	})
}

// appendRow chains row after the head, which it locks (FOR UPDATE on
// MySQL; SQLite has one writer) until the transaction ends, so appends
// from several instances take ids and hashes in one order.
func appendRow(ctx context.Context, db *model.DB, row *model.AuditLog) error {
	head, err := lockHead(ctx, db)
	if err != nil {
		return err
	}
	row.ID = head.LastID + 1
	row.PrevHash = head.LastHash
	row.Hash = Hash(*row)
	c := db.Conn(ctx)
	if err := c.Create(row).Error; err != nil {
		return fmt.Errorf("%w: 写入审计记录失败: %w", ErrChain, err)
	}
	res := c.Model(&model.AuditHead{}).Where("id = 1").
		Updates(map[string]any{"last_id": row.ID, "last_hash": row.Hash})
	if res.Error != nil {
		return fmt.Errorf("%w: 更新审计链失败: %w", ErrChain, res.Error)
	}
	return nil
}

func lockHead(ctx context.Context, db *model.DB) (model.AuditHead, error) {
	var head model.AuditHead
	q := db.Conn(ctx)
	if db.Dialect() == model.MySQL {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	err := q.Where("id = 1").Take(&head).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return head, fmt.Errorf("%w: audit_head 缺少链头记录", ErrChain)
	}
	if err != nil {
		return head, fmt.Errorf("%w: %w", ErrChain, err)
	}
	return head, nil
}

// Hash is the record's SHA-256 over a canonical encoding of every field
// but Hash itself, PrevHash last: each field length-prefixed, so no two
// different records encode alike.
func Hash(r model.AuditLog) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	opt := func(p *uint64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(*p, 10)
	}
	field("yv-audit-v1")
	field(strconv.FormatUint(r.ID, 10))
	field(strconv.FormatInt(r.At.UnixMilli(), 10))
	field(opt(r.ActorID))
	field(r.ActorAccount)
	field(r.ActorName)
	field(r.ActorRole)
	field(opt(r.UniversityID))
	field(r.IP)
	field(r.UserAgent)
	field(r.Action)
	field(r.ObjectType)
	field(r.ObjectID)
	field(r.Summary)
	field(r.Detail)
	field(r.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// cut makes s valid UTF-8 of at most n characters (the column's width).
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// MaskPhone shows a phone number as 138****5678: enough to tell numbers
// apart in a record, not enough to call.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// ID formats an object id.
func ID(id uint64) string { return strconv.FormatUint(id, 10) }

// Uni is a university id as the scope pointer Entry wants (nil for 0).
func Uni(id uint64) *uint64 {
	if id == 0 {
		return nil
	}
	return &id
}

// requestInfo is the client of the request being served.
type requestInfo struct{ ip, ua string }

type requestKey struct{}

// WithRequest returns ctx carrying the client's IP and user agent, which
// Record stores: the handler kit sets it for every request, so services
// need no extra parameter.
func WithRequest(ctx context.Context, ip, ua string) context.Context {
	return context.WithValue(ctx, requestKey{}, requestInfo{ip: ip, ua: ua})
}

func requestOf(ctx context.Context) requestInfo {
	r, _ := ctx.Value(requestKey{}).(requestInfo)
	return r
}
