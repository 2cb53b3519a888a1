// Package account owns accounts, the activate-and-bind flow (the notice's
// 附件2), WeChat bindings, login throttling, universities and entries.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// Field limits, in characters; the pages' maxlength and the API's
// documentation take them from here.
const (
	// MaxCredential bounds an account name and a password; the notice
	// asks for six or more letters and digits.
	MaxCredential = 32
	// MaxName bounds the name a user may give when activating (姓名).
	MaxName = 20
)

// credentialRE is the notice's rule: six or more letters and digits.
var credentialRE = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9]{6,%d}$`, MaxCredential))

// AdminPasswordMin is the shortest password a province or university
// admin may have; it must also mix letters and digits (AdminPasswordOK).
const AdminPasswordMin = 10

// IsAdmin reports a province or university admin: the accounts whose
// password sign-in YV_ADMIN_LOGIN governs, with the stricter password
// rules and the shorter idle timeout.
func IsAdmin(u model.User) bool {
	return u.Has(model.RoleProvinceAdmin) || u.Has(model.RoleUniversityAdm)
}

// AdminPasswordOK reports whether password meets the admins' rule: at
// least AdminPasswordMin letters and digits, with both.
func AdminPasswordOK(password string) bool {
	if len(password) < AdminPasswordMin || !credentialRE.MatchString(password) {
		return false
	}
	return strings.ContainsAny(password, "0123456789") &&
		strings.IndexFunc(password, func(r rune) bool { return r < '0' || r > '9' }) >= 0
}

// msgAdminPassword is the admins' password rule, in the words a form shows.
var msgAdminPassword = fmt.Sprintf("管理员密码须为 %d–%d 位，同时包含英文字母和数字", AdminPasswordMin, MaxCredential)

// MsgScanOnly is the answer to an admin's password login under
// YV_ADMIN_LOGIN=scan.
const MsgScanOnly = "管理员账号请使用微信扫码登录"

// Throttle limits failed logins per account and per client IP.
type Throttle struct {
	MaxFailures int // per account and window, default 5
	// MaxIPFailures is per client IP and window, default 100: students of
	// one campus share its few NAT addresses, and 5 mistyped passwords
	// among them must not lock the whole campus out.
	MaxIPFailures int
	Window        time.Duration // default 15m
}

// Service is the account service.
type Service struct {
	db       *model.DB
	kv       kv.Store
	clock    clock.Clock
	log      *slog.Logger
	throttle Throttle
	cost     int
	// scanOnly: admins may not sign in with a password (Options.AdminScanOnly).
	scanOnly bool
	compare  func(hash, password []byte) error // bcrypt.CompareHashAndPassword; tests count calls
	words    Words

	uniMu     sync.Mutex
	uniCache  []model.University
	uniLoaded time.Time
}

// Options tunes the service; zero values take defaults.
type Options struct {
	Throttle   Throttle
	BcryptCost int // default bcrypt.DefaultCost (10); never below 10 in production
	// Words checks display names; nil checks none (import and tools,
	// which never set one).
	Words Words
	// AdminScanOnly (YV_ADMIN_LOGIN=scan): province and university admins
	// sign in on a PC by scanning with their bound WeChat, never with a
	// password (see PasswordSignIn).
	AdminScanOnly bool
}

// New builds the service.
func New(db *model.DB, store kv.Store, clk clock.Clock, log *slog.Logger, o Options) (*Service, error) {
	if db == nil || store == nil || clk == nil || log == nil {
		return nil, errors.New("account.New: nil dependency")
	}
	if o.Throttle.MaxFailures <= 0 {
		o.Throttle.MaxFailures = 5
	}
	if o.Throttle.MaxIPFailures <= 0 {
		o.Throttle.MaxIPFailures = 100
	}
	if o.Throttle.Window <= 0 {
		o.Throttle.Window = 15 * time.Minute
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.Words == nil {
		o.Words = noWords{}
	}
	return &Service{db: db, kv: store, clock: clk, log: log, throttle: o.Throttle, cost: o.BcryptCost, scanOnly: o.AdminScanOnly,
		compare: bcrypt.CompareHashAndPassword, words: o.Words}, nil
}

// Messages shown to users.
const (
	msgBadCredentials = "账号或密码错误" //nolint:gosec // a message, not a credential
	msgAccountTaken   = "账号已被占用"
)

// AccountKey is the case-insensitive identity of an account name.
func AccountKey(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

func checkAccount(fields map[string]string, account string) {
	switch {
	case account == "":
		fields["account"] = "请输入账号"
	case !credentialRE.MatchString(account):
		fields["account"] = fmt.Sprintf("账号须为 6–%d 位英文字母或数字", MaxCredential)
	}
}

func checkPassword(fields map[string]string, field, password string) {
	switch {
	case password == "":
		fields[field] = "请输入密码"
	case !credentialRE.MatchString(password):
		fields[field] = fmt.Sprintf("密码须为 6–%d 位英文字母或数字", MaxCredential)
	}
}

// checkPasswordFor is checkPassword with the admins' stricter rule when
// u is an admin.
func checkPasswordFor(fields map[string]string, u model.User, field, password string) {
	checkPassword(fields, field, password)
	if fields[field] == "" && IsAdmin(u) && !AdminPasswordOK(password) {
		fields[field] = msgAdminPassword
	}
}

// Entries lists the activation entries, enabled or not, in order.
func (s *Service) Entries(ctx context.Context) ([]model.Entry, error) {
	var es []model.Entry
	err := s.db.Conn(ctx).Order("sort_order, id").Find(&es).Error
	return es, err
}

// Entry returns an enabled entry by key.
func (s *Service) Entry(ctx context.Context, key string) (model.Entry, error) {
	var e model.Entry
	err := s.db.Conn(ctx).Where("`key` = ?", key).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return e, service.NotFound("entry_not_found", "入口不存在")
	}
	if err != nil {
		return e, err
	}
	if !e.Enabled {
		return e, service.Invalid("entry_disabled", "「"+e.Name+"」入口暂未开放", map[string]string{"entry": "该入口暂未开放"})
	}
	return e, nil
}

// UserByID returns a user.
func (s *Service) UserByID(ctx context.Context, id uint64) (model.User, error) {
	var u model.User
	err := s.db.Conn(ctx).Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, service.NotFound("user_not_found", "账号不存在")
	}
	return u, err
}

// UserByOpenID returns the user bound to openid, or ErrNotFound.
func (s *Service) UserByOpenID(ctx context.Context, openid string) (model.User, error) {
	var u model.User
	if openid == "" {
		return u, service.NotFound("not_bound", "该微信尚未绑定账号")
	}
	err := s.db.Conn(ctx).Where("openid = ?", openid).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, service.NotFound("not_bound", "该微信尚未绑定账号")
	}
	return u, err
}

// hash bcrypt-hashes a password.
func (s *Service) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	return string(h), err
}

// isDuplicate reports a unique-key violation on either database.
func isDuplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }
