// Package privacy owns what the PIPL gives a person over their own data:
// 导出我的数据 (Export) and 注销账号 (Close). Display names, the other half
// of issue 23's privacy item, are an account field (account.SetDisplayName,
// model.User.DisplayName).
package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// ErrClosed is returned for an account that has been closed.
var ErrClosed = errors.New("account closed")

// CloseWord is what the person types to confirm closing the account.
const CloseWord = "注销"

// ExportInterval is how often one person may download their data: an
// export reads every row they own, so it must not become a way to load
// the database.
const ExportInterval = time.Minute

// Service exports and closes accounts.
type Service struct {
	db  *model.DB
	kv  kv.Store
	clk clock.Clock
	log *slog.Logger
}

// New builds the service.
func New(db *model.DB, store kv.Store, clk clock.Clock, log *slog.Logger) (*Service, error) {
	if db == nil || store == nil || clk == nil || log == nil {
		return nil, errors.New("privacy.New: nil dependency")
	}
	return &Service{db: db, kv: store, clk: clk, log: log}, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC() }

// staffRoles are the roles that act for a university; their holders hand
// over before closing (Close).
var staffRoles = []string{model.RoleCadre, model.RoleStationAdmin, model.RoleUniversityAdm, model.RoleProvinceAdmin}

// Close closes (注销) u's account once confirm is CloseWord.
//
// Kept, so the university's statistics and the boards do not change:
// the users row (id, university, roles, dates), questions, answers,
// 同问, 有用 and bookings, whose author is then shown as 已注销用户.
// Removed: the account name and password (it can never sign in again,
// and the name is free for someone else), real name, display name, the
// WeChat binding, the booking contact phones and 我的消息. The openid is
// replaced by a random pseudonym in the users row and in the WeChat
// logs that count activity (followers, interactions, qr_follows,
// stats_openid_days, template_messages): the figures still add up, but
// nothing links them to that WeChat user any more. Sessions end because
// password_changed_at moves past them.
//
// Staff (cadres, station admins, admins) are refused: the university
// relies on them, so they hand over and have the role revoked first.
func (s *Service) Close(ctx context.Context, u model.User, confirm string) error {
	if strings.TrimSpace(confirm) != CloseWord {
		msg := "请输入「" + CloseWord + "」二字确认注销"
		return service.Invalid("confirm_required", msg, map[string]string{"confirm": msg})
	}
	pseudonym, err := randomPseudonym()
	if err != nil {
		return err
	}
	var cur model.User
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.ForUpdate(ctx).Take(&cur, u.ID).Error; err != nil {
			return err
		}
		if cur.ClosedAt != nil {
			return service.Conflict("account_closed", "该账号已注销", nil)
		}
		if held := heldRoles(cur); held != "" {
			return service.Conflict("still_staff", "您目前仍是"+held+
				"，请先完成工作交接，并请本校团委管理员（或省级管理员）撤销该身份后再注销账号", nil)
		}
		now := s.now()
		c := s.db.Conn(ctx)
		if cur.OpenID != nil {
			// The WeChat logs keep counting for the university under a
			// pseudonym no one can trace back to the person.
			// interactions is large and has no index on openid alone: it
			// follows after the commit, in short batches (pseudonymiseLog).
			for _, table := range []string{"followers", "qr_follows", "stats_openid_days", "template_messages"} {
				if err := c.Exec("UPDATE "+table+" SET openid = ? WHERE openid = ?", pseudonym, *cur.OpenID).Error; err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
		}
		var openid any // NULL: the account never had a WeChat
		if cur.OpenID != nil {
			openid = pseudonym
		}
		closedAccount := fmt.Sprintf("closed%d", cur.ID)
		if err := c.Model(&model.User{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"account": closedAccount, "account_key": "!" + closedAccount, // "!" matches no account name
			"password_hash": "", "name": "", "display_name": "", "openid": openid,
			"must_change_password": false, "password_changed_at": now, "closed_at": now, "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if err := c.Model(&model.Booking{}).Where("student_id = ?", cur.ID).
			Updates(map[string]any{"contact_phone": ""}).Error; err != nil {
			return fmt.Errorf("bookings: %w", err)
		}
		if err := c.Where("user_id = ?", cur.ID).Delete(&model.Message{}).Error; err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		// A cadre application is the person's own filing: its contact
		// fields go, its status stays (the university's record of it).
		if err := c.Model(&model.CadreApplication{}).Where("user_id = ?", cur.ID).Updates(map[string]any{
			"real_name": "", "phone": "", "email": "", "qq": "", "wechat_id": "", "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("cadre_applications: %w", err)
		}
		// Roster entries and liaisons are the university's own register
		// (附件1, its 联络专员), filled in by its admins from their files,
		// not the person's data held by the platform: they stay, unlinked
		// from the closed account, for the university to update.
		if err := c.Model(&model.RosterEntry{}).Where("user_id = ?", cur.ID).Update("user_id", nil).Error; err != nil {
			return fmt.Errorf("roster_entries: %w", err)
		}
		if err := c.Model(&model.Liaison{}).Where("user_id = ?", cur.ID).Update("user_id", nil).Error; err != nil {
			return fmt.Errorf("liaisons: %w", err)
		}
		// Recorded under the account's new name only: the trail must not
		// keep what 注销 removes.
		actor := model.User{ID: cur.ID, Account: closedAccount, Role: cur.Role, Roles: cur.Roles}
		return audit.Record(ctx, s.db, audit.Entry{Actor: &actor, UniversityID: cur.UniversityID, Action: audit.ActionAccountClose,
			ObjectType: "user", ObjectID: audit.ID(cur.ID), Summary: "注销了本人的账号（个人信息已删除，发布的内容匿名保留）"})
	})
	if err != nil {
		return service.Wrap("注销账号", err)
	}
	if cur.OpenID != nil {
		if err := s.pseudonymiseLog(ctx, *cur.OpenID, pseudonym); err != nil {
			// The account is closed; the log keeps the openid until an
			// operator reruns the update, which the log line allows.
			s.log.ErrorContext(ctx, "closed account: interactions keep the openid", "user_id", u.ID, "pseudonym", pseudonym, "err", err)
		}
	}
	s.log.InfoContext(ctx, "account closed", "user_id", u.ID)
	return nil
}

// tailMargin is how far before the roll-up's last complete pass the
// update by time starts: the pass may still be counting those minutes.
const tailMargin = 48 * time.Hour

// pseudonymiseLog replaces openid in interactions without scanning the
// table (5,000,000 rows a year): the days the person had pushes come from
// the roll-up's per-openid days (stats_openid_days, whose primary key
// starts with the openid, already renamed to pseudonym in Close's
// transaction), and each day is one UPDATE over that day of the
// (created_at, openid) index. The days since the roll-up's last complete
// pass follow as one range by time. Without roll-ups (a new embedded
// install), there is nothing large to scan: one UPDATE does.
func (s *Service) pseudonymiseLog(ctx context.Context, openid, pseudonym string) error {
	c := s.db.Conn(ctx)
	var st model.StatsState
	err := c.Where("name = ?", "scanned").Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && st.TimeAt == nil) {
		return c.Exec("UPDATE interactions SET openid = ? WHERE openid = ?", pseudonym, openid).Error
	}
	if err != nil {
		return err
	}
	var days []int
	if err := c.Raw("SELECT day FROM stats_openid_days WHERE openid = ? ORDER BY day", pseudonym).Scan(&days).Error; err != nil {
		return err
	}
	update := func(from, to time.Time) error {
		return c.Exec("UPDATE interactions SET openid = ? WHERE created_at >= ? AND created_at < ? AND openid = ?",
			pseudonym, from.UTC(), to.UTC(), openid).Error
	}
	tail := st.TimeAt.Add(-tailMargin)
	for _, d := range days {
		from := time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, clock.Beijing)
		if !from.Before(tail) {
			break // the tail covers it
		}
		if err := update(from, from.AddDate(0, 0, 1)); err != nil {
			return err
		}
	}
	if err := update(tail, s.now().Add(time.Hour)); err != nil {
		return err
	}
	// A roll-up pass that read the tail before it was renamed wrote the
	// old openid's days again: their counts move to the pseudonym.
	var late []model.StatsOpenIDDay
	if err := c.Where("openid = ?", openid).Find(&late).Error; err != nil || len(late) == 0 {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		tx := s.db.Conn(ctx)
		for _, r := range late {
			r.OpenID = pseudonym
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "openid"}, {Name: "day"}},
				DoUpdates: clause.Assignments(map[string]any{"n": gorm.Expr("n + ?", r.N)}),
			}).Create(&r).Error; err != nil {
				return err
			}
		}
		return tx.Where("openid = ?", openid).Delete(&model.StatsOpenIDDay{}).Error
	})
}

// heldRoles names the staff roles u holds, "" if none.
func heldRoles(u model.User) string {
	var names []string
	for _, r := range staffRoles {
		if u.Has(r) {
			names = append(names, model.RoleName(r))
		}
	}
	return strings.Join(names, "、")
}

// randomPseudonym stands for a closed account's openid: unique, not
// derived from it.
func randomPseudonym() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return model.ClosedOpenIDPrefix + hex.EncodeToString(b), nil
}
