package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// Activation modes (step 4 of the notice).
const (
	ModeNew = "new" // define a new account and password
	ModeOld = "old" // log in with an existing account
)

// ActivateInput is one activation attempt.
type ActivateInput struct {
	Entry          string
	Mode           string
	Account        string
	Password       string
	Confirm        string // new accounts: the password again
	UniversityCode string // new accounts (and old ones without a university)
	Name           string
	DisplayName    string // optional: the name others see (显示名称)
	OpenID         string // the WeChat to bind, when opened inside WeChat
	ClientIP       string
}

// Activate creates an account (ModeNew) or logs into an existing one
// (ModeOld), and binds the caller's WeChat to it when OpenID is set.
// Activating twice with the same account is harmless.
func (s *Service) Activate(ctx context.Context, in ActivateInput) (model.User, error) {
	in.Account = strings.TrimSpace(in.Account)
	in.Name = service.CleanLine(in.Name)
	entry, err := s.Entry(ctx, in.Entry)
	if err != nil {
		return model.User{}, err
	}
	if entry.Kind != model.EntryKindUniversity {
		return model.User{}, service.Invalid("entry_unsupported", "该入口暂未开放", nil)
	}
	switch in.Mode {
	case ModeNew:
		return s.activateNew(ctx, entry, in)
	case ModeOld:
		return s.activateOld(ctx, entry, in)
	default:
		return model.User{}, service.Invalid("mode", "请选择新用户注册或老用户登录", map[string]string{"mode": "请选择新用户或老用户"})
	}
}

func (s *Service) activateNew(ctx context.Context, entry model.Entry, in ActivateInput) (model.User, error) {
	fields := map[string]string{}
	checkAccount(fields, in.Account)
	checkPassword(fields, "password", in.Password)
	if fields["password"] == "" && in.Confirm != in.Password {
		fields["confirm"] = "两次输入的密码不一致"
	}
	if utf8.RuneCountInString(in.Name) > MaxName {
		fields["name"] = fmt.Sprintf("姓名不能超过 %d 个字", MaxName)
	}
	in.DisplayName = s.checkDisplayName(fields, in.DisplayName)
	var uni model.University
	if in.UniversityCode == "" {
		fields["university"] = "请选择学校"
	} else if u, err := s.UniversityByCode(ctx, in.UniversityCode); err != nil {
		if !errors.Is(err, service.ErrNotFound) {
			return model.User{}, err
		}
		fields["university"] = "所选学校不存在，请重新选择"
	} else {
		uni = u
	}
	if len(fields) > 0 {
		return model.User{}, service.InvalidFields("invalid_input", fields, fieldOrder...)
	}

	// Activating twice (a double tap, a reload) is harmless: the same
	// account with the same password from the WeChat it is bound to. A
	// WeChat bound to another account must be unbound there first.
	if in.OpenID != "" {
		if bound, err := s.UserByOpenID(ctx, in.OpenID); err == nil {
			if bound.AccountKey != AccountKey(in.Account) {
				return model.User{}, wechatBound(bound.Account)
			}
			if bcrypt.CompareHashAndPassword([]byte(bound.PasswordHash), []byte(in.Password)) == nil {
				return bound, nil
			}
		} else if !errors.Is(err, service.ErrNotFound) {
			return model.User{}, err
		}
	}

	hash, err := s.hash(in.Password)
	if err != nil {
		return model.User{}, err
	}
	now := s.clock.Now().UTC()
	u := model.User{
		Account: in.Account, AccountKey: AccountKey(in.Account), PasswordHash: hash, Name: in.Name,
		Nickname: in.DisplayName, EntryKey: entry.Key, UniversityID: &uni.ID, Role: model.RoleStudent,
		ActivatedAt: &now, LastLoginAt: &now, CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if in.OpenID != "" {
			// One WeChat, one account: a WeChat bound elsewhere stays there.
			if err := s.checkOpenIDFree(ctx, in.OpenID, 0); err != nil {
				return err
			}
			u.OpenID, u.BoundAt = &in.OpenID, &now
		}
		return s.db.Conn(ctx).Create(&u).Error
	})
	if isDuplicate(err) {
		// Either the account name or (rarely) the WeChat was taken by a
		// concurrent activation; only the first is the user's to fix.
		var n int64
		if cerr := s.db.Conn(ctx).Model(&model.User{}).Where("account_key = ?", u.AccountKey).Count(&n).Error; cerr == nil && n == 0 && in.OpenID != "" {
			return model.User{}, service.Conflict("binding_race", "该微信正在绑定其他账号，请稍后重试", nil)
		}
		return model.User{}, service.Conflict("account_taken", msgAccountTaken, map[string]string{"account": msgAccountTaken})
	}
	if err != nil {
		return model.User{}, service.Wrap("创建账号", err)
	}
	s.log.InfoContext(ctx, "account activated", "user_id", u.ID, "university", uni.Code, "bound", in.OpenID != "")
	return u, nil
}

func (s *Service) activateOld(ctx context.Context, entry model.Entry, in ActivateInput) (model.User, error) {
	if err := s.checkOpenIDFor(ctx, in.OpenID, in.Account); err != nil {
		return model.User{}, err
	}
	fields := map[string]string{}
	if in.DisplayName = s.checkDisplayName(fields, in.DisplayName); len(fields) > 0 {
		return model.User{}, service.Invalid("invalid_display_name", fields["display_name"], fields)
	}
	u, err := s.Login(ctx, in.Account, in.Password, in.ClientIP)
	if err != nil {
		return model.User{}, err
	}
	if err := s.PasswordSignIn(u, in.OpenID); err != nil {
		return model.User{}, err
	}
	now := s.clock.Now().UTC()
	updates := map[string]any{"updated_at": now}
	if in.DisplayName != "" {
		updates["display_name"] = in.DisplayName
	}
	if u.ActivatedAt == nil {
		updates["activated_at"] = now
	}
	if u.EntryKey == "" {
		updates["entry_key"] = entry.Key
	}
	if u.UniversityID == nil {
		if in.UniversityCode == "" {
			return model.User{}, service.Invalid("university_required", "请选择学校", map[string]string{"university": "请选择学校"})
		}
		uni, err := s.UniversityByCode(ctx, in.UniversityCode)
		if err != nil {
			if errors.Is(err, service.ErrNotFound) {
				return model.User{}, service.Invalid("university_unknown", "所选学校不存在", map[string]string{"university": "所选学校不存在，请重新选择"})
			}
			return model.User{}, err
		}
		updates["university_id"] = uni.ID
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Model(&model.User{}).Where("id = ?", u.ID).Updates(updates).Error; err != nil {
			return err
		}
		if in.OpenID != "" {
			return s.bind(ctx, u.ID, in.OpenID, now)
		}
		return nil
	})
	if err != nil {
		return model.User{}, service.Wrap("激活账号", err)
	}
	return s.UserByID(ctx, u.ID)
}

// wechatBound is the refusal to bind a WeChat that is bound to account.
// Binding it elsewhere would silently unbind that account (a cadre there
// would stop getting alerts), so the user has to unbind it first.
func wechatBound(account string) error {
	return service.Conflict("wechat_bound", fmt.Sprintf("该微信已绑定账号 %s，请先在「设置」中解除绑定，再激活或登录其他账号", account), nil)
}

// checkOpenIDFree refuses openid while it is bound to an account other than
// keep (0: the account about to be created).
//
// The holder is found with a plain (non-locking) read. A locking read or
// an UPDATE … WHERE openid = ? that matches nothing would gap-lock the
// openid index on InnoDB, and two activations holding the same gap and
// then inserting into it deadlock (Error 1213). A binding that appears
// between the read and our write surfaces as a duplicate key on openid,
// which callers report as a conflict.
func (s *Service) checkOpenIDFree(ctx context.Context, openid string, keep uint64) error {
	var holder model.User
	err := s.db.Conn(ctx).Select("id", "account").Where("openid = ?", openid).Take(&holder).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil
	case err != nil:
		return err
	case holder.ID != keep:
		return wechatBound(holder.Account)
	}
	return nil
}

// checkOpenIDFor refuses, before any password is checked, to log into
// account from a WeChat bound to another account. Binding rechecks it.
func (s *Service) checkOpenIDFor(ctx context.Context, openid, account string) error {
	if openid == "" {
		return nil
	}
	bound, err := s.UserByOpenID(ctx, openid)
	switch {
	case errors.Is(err, service.ErrNotFound):
		return nil
	case err != nil:
		return err
	case bound.AccountKey != AccountKey(account):
		return wechatBound(bound.Account)
	}
	return nil
}

// bind binds openid to user, ending the user's previous WeChat (an old
// user logging in on a new WeChat moves the binding there); it runs inside
// the caller's transaction. A WeChat bound to another account is refused.
func (s *Service) bind(ctx context.Context, userID uint64, openid string, now time.Time) error {
	if err := s.checkOpenIDFree(ctx, openid, userID); err != nil {
		return err
	}
	err := s.db.Conn(ctx).Model(&model.User{}).Where("id = ?", userID).
		Updates(map[string]any{"openid": openid, "bound_at": now, "updated_at": now}).Error
	if isDuplicate(err) {
		return service.Conflict("binding_race", "该微信正在绑定其他账号，请稍后重试", nil)
	}
	return err
}

// Bind binds openid to the user (used after a password login from WeChat).
func (s *Service) Bind(ctx context.Context, userID uint64, openid string) error {
	if openid == "" {
		return service.Invalid("openid", "请在微信中打开以绑定", nil)
	}
	now := s.clock.Now().UTC()
	return service.Wrap("绑定微信", s.db.WithTx(ctx, func(ctx context.Context) error { return s.bind(ctx, userID, openid, now) }))
}

// Unbind ends the user's WeChat binding (设置 → 解除绑定).
func (s *Service) Unbind(ctx context.Context, userID uint64) error {
	now := s.clock.Now().UTC()
	res := s.db.Conn(ctx).Model(&model.User{}).Where("id = ? AND openid IS NOT NULL", userID).
		Updates(map[string]any{"openid": nil, "bound_at": nil, "updated_at": now})
	if res.Error != nil {
		return service.Wrap("解除绑定", res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Invalid("not_bound", "当前账号没有绑定微信", nil)
	}
	return nil
}

// PasswordSignIn reports whether u, whose password was just checked, may
// be signed in by it: under YV_ADMIN_LOGIN=scan an admin may not, except
// inside WeChat (openid) to bind an account not yet bound to any — the
// usual activation, after which the bound WeChat scans.
func (s *Service) PasswordSignIn(u model.User, openid string) error {
	if !s.scanOnly || !IsAdmin(u) {
		return nil
	}
	if openid != "" && u.OpenID == nil {
		return nil
	}
	return service.Forbidden("scan_login_required", MsgScanOnly)
}

// AdminScanOnly reports YV_ADMIN_LOGIN=scan (the login page says so).
func (s *Service) AdminScanOnly() bool { return s.scanOnly }

// Login checks an account and password, throttling failures per account
// and per client IP. Unknown accounts and wrong passwords get the same
// answer.
func (s *Service) Login(ctx context.Context, account, password, clientIP string) (model.User, error) {
	account = strings.TrimSpace(account)
	fields := map[string]string{}
	if account == "" {
		fields["account"] = "请输入账号"
	}
	if password == "" {
		fields["password"] = "请输入密码"
	}
	if len(fields) > 0 {
		return model.User{}, service.InvalidFields("invalid_input", fields, fieldOrder...)
	}
	key := AccountKey(account)
	// The attempt is counted before the password is checked: concurrent
	// attempts each take a place under the limits, so no more than
	// MaxFailures of them ever reach the password check of one account.
	at, err := s.reserve(ctx, key, clientIP)
	if err != nil {
		return model.User{}, err
	}
	var u model.User
	if credentialRE.MatchString(account) {
		err = s.db.Conn(ctx).Where("account_key = ?", key).Take(&u).Error
	} else {
		// No account has such a name. It is not even looked up: MySQL's
		// collation would match "víctim01" or a full-width "ｖictim01" to
		// victim01, each variant with a throttle count of its own.
		err = gorm.ErrRecordNotFound
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// Spend the same time as a real check so timing does not reveal
		// which accounts exist.
		_ = s.compare(dummyHash, []byte(password))
		return model.User{}, s.failed(ctx, at)
	case err != nil:
		// Not a failed login: give the place back.
		s.release(ctx, at.keys...)
		return model.User{}, service.Wrap("查询账号", err)
	}
	if s.compare([]byte(u.PasswordHash), []byte(password)) != nil {
		return model.User{}, s.failed(ctx, at)
	}
	// A successful login forgets the account's failures, and its own
	// attempt does not count against the IP.
	_ = s.kv.Del(ctx, failKeyAccount(key))
	if clientIP != "" {
		s.release(ctx, failKeyIP(clientIP))
	}
	now := s.clock.Now().UTC()
	updates := map[string]any{"last_login_at": now}
	if IsAdmin(u) && !u.MustChangePassword && !AdminPasswordOK(password) {
		// An admin's password from before the stricter rule: they choose
		// a new one before anything else (the forced change of a
		// temporary password, see web.identify).
		updates["must_change_password"] = true
		u.MustChangePassword = true
		s.log.InfoContext(ctx, "admin signed in with a password below the admin rule; must change it", "user_id", u.ID)
	}
	// A hash weaker than today's cost (an imported one) is replaced now
	// that the password is at hand.
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil && cost < s.cost {
		if h, err := s.hash(password); err == nil {
			updates["password_hash"] = h
			u.PasswordHash = h
		}
	}
	if err := s.db.Conn(ctx).Model(&model.User{}).Where("id = ?", u.ID).Updates(updates).Error; err != nil {
		return model.User{}, service.Wrap("记录登录时间", err)
	}
	u.LastLoginAt = &now
	return u, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcrypt.DefaultCost)

func failKeyAccount(key string) string { return "login:fail:a:" + key }
func failKeyIP(ip string) string       { return "login:fail:ip:" + ip }

// attempt is a login attempt counted under its throttle keys: counts[i]
// is the value of keys[i] once this attempt was added, limits[i] the
// failures keys[i] allows.
type attempt struct {
	keys   []string
	counts []int64
	limits []int64
}

// reserve counts a login attempt under the account's and the IP's keys
// before its password is checked. An attempt that finds a key already
// holding its limit is refused, and its count taken back, so refused
// attempts neither reach the password check nor count as failures (a
// locked account does not also lock the IP it is attacked from).
func (s *Service) reserve(ctx context.Context, key, ip string) (attempt, error) {
	keys := []string{failKeyAccount(key)}
	limits := []int64{int64(s.throttle.MaxFailures)}
	if ip != "" {
		keys = append(keys, failKeyIP(ip))
		limits = append(limits, int64(s.throttle.MaxIPFailures))
	}
	// Count under every key before answering: stopping at the first
	// exhausted key would leave the others short of the attempt.
	at := attempt{limits: limits}
	for _, k := range keys {
		n, err := s.kv.Incr(ctx, k, s.throttle.Window)
		if err != nil {
			s.release(ctx, at.keys...)
			return attempt{}, fmt.Errorf("记录登录尝试: %w", err)
		}
		at.keys, at.counts = append(at.keys, k), append(at.counts, n)
	}
	for i, k := range at.keys {
		if at.counts[i] > at.limits[i] {
			s.release(ctx, at.keys...)
			return attempt{}, s.throttled(ctx, k)
		}
	}
	return at, nil
}

// release takes back attempts counted by reserve. It runs even when the
// request was cancelled: a count left behind would be a failure that
// never happened.
func (s *Service) release(ctx context.Context, keys ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if _, err := s.kv.Decr(ctx, k); err != nil {
			s.log.WarnContext(ctx, "login throttle: could not take back an attempt", "err", err)
		}
	}
}

func (s *Service) throttled(ctx context.Context, k string) error {
	wait, err := s.kv.TTL(ctx, k)
	if err != nil || wait <= 0 {
		wait = s.throttle.Window
	}
	mins := int((wait + time.Minute - 1) / time.Minute)
	return service.TooMany("login_throttled", fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试", mins))
}

// failed returns the error to show for a failed attempt, which reserve
// has already counted: the throttle's when it used up the last place.
func (s *Service) failed(ctx context.Context, at attempt) error {
	for i, k := range at.keys {
		if at.counts[i] >= at.limits[i] {
			s.log.WarnContext(ctx, "login throttled", "scope", strings.SplitN(k, ":", 4)[2], "failures", at.counts[i])
			return s.throttled(ctx, k)
		}
	}
	return service.Unauthorized("bad_credentials", msgBadCredentials, map[string]string{"password": msgBadCredentials})
}

// fieldOrder is the order of the activation and account forms' fields,
// in which their problems are listed.
var fieldOrder = []string{"entry", "mode", "account", "password", "confirm", "name", "university"}

// SignIn logs in with account and password and, when the request comes
// from inside WeChat (openid set), binds that WeChat to the account.
func (s *Service) SignIn(ctx context.Context, account, password, clientIP, openid string) (model.User, error) {
	if err := s.checkOpenIDFor(ctx, openid, account); err != nil {
		return model.User{}, err
	}
	u, err := s.Login(ctx, account, password, clientIP)
	if err != nil {
		return u, err
	}
	if err := s.PasswordSignIn(u, openid); err != nil {
		return model.User{}, err
	}
	if openid == "" {
		return u, nil
	}
	if err := s.Bind(ctx, u.ID, openid); err != nil {
		return model.User{}, err
	}
	return s.UserByID(ctx, u.ID)
}
