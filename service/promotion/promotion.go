// Package promotion gives each university its promotion QR code: a
// permanent parametric QR code of the service account (scene u-<code>),
// created through WeChat once and kept, rendered locally as a PNG and as
// a printable poster. A follow through it is attributed to the university
// (Attribute, called by the callback); the activation page pre-selects
// the attributed university (AttributedCode); the statistics count the
// funnel (service/stats).
package promotion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// ScenePrefix starts a university's scene: u-<学校标识码>, as its board's
// key (u-<code>) does.
const ScenePrefix = "u-"

// Scene is the QR scene of the university with code.
func Scene(code string) string { return ScenePrefix + code }

// CodeOfScene is the university code of a scene or an event key
// (qrscene_u-<code> on subscribe, u-<code> on SCAN); false for any other.
func CodeOfScene(key string) (string, bool) {
	key = strings.TrimPrefix(key, "qrscene_")
	code, ok := strings.CutPrefix(key, ScenePrefix)
	if !ok || code == "" || len(code) > 10 {
		return "", false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return code, true
}

// QRCreator creates permanent QR codes (wxapi.Client).
type QRCreator interface {
	CreateLimitQRCode(ctx context.Context, scene string) (wxapi.QRCode, error)
}

// Options configure the service.
type Options struct {
	// FontPath is the CJK font the poster is drawn with (.ttf, .otf or a
	// .ttc collection); empty: the first of DefaultFonts that exists.
	FontPath string
}

// DefaultFonts are where Debian's CJK font packages put their fonts:
// fonts-noto-cjk, then fonts-droid-fallback (4 MB, the Docker image's).
// WenQuanYi Micro Hei (fonts-wqy-microhei) is not among them: its tables
// are not 4-byte aligned, which golang.org/x/image/font/sfnt refuses.
var DefaultFonts = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// claimFor bounds a creation in progress: past it, another request
// creates the code (the instance creating it died).
const claimFor = 30 * time.Second

// waitFor is how long a request waits for a code another one is creating.
const waitFor = 10 * time.Second

// Service serves the promotion codes.
type Service struct {
	db   *model.DB
	wx   QRCreator
	clk  clock.Clock
	log  *slog.Logger
	opts Options
}

// New builds the service. All dependencies are required.
func New(db *model.DB, wx QRCreator, clk clock.Clock, log *slog.Logger, o Options) (*Service, error) {
	if db == nil || wx == nil || clk == nil || log == nil {
		return nil, errors.New("promotion.New: nil dependency")
	}
	return &Service{db: db, wx: wx, clk: clk, log: log, opts: o}, nil
}

// university finds the university with code that viewer may take the
// promotion code of: the province admin any, a university admin their
// own; anyone else is refused.
func (s *Service) university(ctx context.Context, viewer model.User, code string) (model.University, error) {
	province := viewer.Has(model.RoleProvinceAdmin)
	if !province && !viewer.Has(model.RoleUniversityAdm) {
		return model.University{}, service.Forbidden("not_admin", "只有高校团委管理员和省级管理员可以下载推广二维码")
	}
	var uni model.University
	err := s.db.Conn(ctx).Where("code = ?", code).Take(&uni).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || code == "" {
		return uni, service.NotFound("university_not_found", "学校不存在")
	}
	if err != nil {
		return uni, service.Wrap("读取学校", err)
	}
	if !province && (viewer.UniversityID == nil || *viewer.UniversityID != uni.ID) {
		return uni, service.Forbidden("other_university", "只能下载本校的推广二维码")
	}
	return uni, nil
}

// Universities are those whose promotion codes viewer may download, in
// code order: every one for the province admin, their own for a
// university admin; anyone else is refused.
func (s *Service) Universities(ctx context.Context, viewer model.User) ([]model.University, error) {
	q := s.db.Conn(ctx).Order("code")
	switch {
	case viewer.Has(model.RoleProvinceAdmin):
	case viewer.Has(model.RoleUniversityAdm) && viewer.UniversityID != nil:
		q = q.Where("id = ?", *viewer.UniversityID)
	default:
		return nil, service.Forbidden("not_admin", "只有高校团委管理员和省级管理员可以下载推广二维码")
	}
	var unis []model.University
	if err := q.Find(&unis).Error; err != nil {
		return nil, service.Wrap("读取学校", err)
	}
	return unis, nil
}

// Code returns the promotion code of the university with code, creating
// it through WeChat the first time. Several instances may ask at once:
// the row's primary key lets one of them create it, the others wait for
// it (a permanent code is created once per university).
func (s *Service) Code(ctx context.Context, viewer model.User, code string) (model.University, model.UniversityQRCode, error) {
	uni, err := s.university(ctx, viewer, code)
	if err != nil {
		return uni, model.UniversityQRCode{}, err
	}
	qr, err := s.ensure(ctx, uni)
	return uni, qr, err
}

func (s *Service) ensure(ctx context.Context, uni model.University) (model.UniversityQRCode, error) {
	deadline := time.Now().Add(waitFor)
	for {
		var row model.UniversityQRCode
		err := s.db.Conn(ctx).Where("university_id = ?", uni.ID).Take(&row).Error
		found := err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return row, service.Wrap("读取推广二维码", err)
		}
		if found && row.URL != "" {
			return row, nil
		}
		now := s.clk.Now().UTC()
		until := now.Add(claimFor)
		var claimed bool
		if !found {
			row = model.UniversityQRCode{UniversityID: uni.ID, Scene: Scene(uni.Code), ClaimedUntil: &until, CreatedAt: now, UpdatedAt: now}
			res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil {
				return row, service.Wrap("保存推广二维码", res.Error)
			}
			claimed = res.RowsAffected == 1
		} else if row.ClaimedUntil == nil || row.ClaimedUntil.Before(now) {
			res := s.db.Conn(ctx).Model(&model.UniversityQRCode{}).
				Where("university_id = ? AND url = '' AND (claimed_until IS NULL OR claimed_until < ?)", uni.ID, now).
				Updates(map[string]any{"claimed_until": until, "updated_at": now})
			if res.Error != nil {
				return row, service.Wrap("保存推广二维码", res.Error)
			}
			claimed = res.RowsAffected == 1
		}
		if claimed {
			return s.create(ctx, uni)
		}
		// Another request is creating it.
		if time.Now().After(deadline) {
			return row, &service.Error{Kind: service.ErrUnavailable, Code: "qrcode_pending", Message: "推广二维码正在生成，请稍后重试"}
		}
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// create asks WeChat for the code of the claimed row and stores it.
func (s *Service) create(ctx context.Context, uni model.University) (model.UniversityQRCode, error) {
	scene := Scene(uni.Code)
	code, err := s.wx.CreateLimitQRCode(ctx, scene)
	conn := s.db.Conn(context.WithoutCancel(ctx))
	if err != nil {
		// Let the next request try at once.
		conn.Model(&model.UniversityQRCode{}).Where("university_id = ? AND url = ?", uni.ID, "").
			Updates(map[string]any{"claimed_until": nil})
		s.log.ErrorContext(ctx, "creating a university's promotion QR code failed", "university", uni.Code, "err", err)
		return model.UniversityQRCode{}, &service.Error{Kind: service.ErrUnavailable, Code: "qrcode_unavailable",
			Message: "微信暂时无法生成推广二维码，请稍后重试"}
	}
	now := s.clk.Now().UTC()
	if err := conn.Model(&model.UniversityQRCode{}).Where("university_id = ?", uni.ID).
		Updates(map[string]any{"scene": scene, "ticket": code.Ticket, "url": code.URL, "claimed_until": nil, "updated_at": now}).Error; err != nil {
		return model.UniversityQRCode{}, service.Wrap("保存推广二维码", err)
	}
	s.log.InfoContext(ctx, "university promotion QR code created", "university", uni.Code, "scene", scene)
	var row model.UniversityQRCode
	if err := conn.Where("university_id = ?", uni.ID).Take(&row).Error; err != nil {
		return row, service.Wrap("读取推广二维码", err)
	}
	return row, nil
}

// CheckFont loads the poster's font now, so that a missing one is
// reported at start (the posters answer 503 until it is installed).
func (s *Service) CheckFont() (string, error) {
	f, err := s.loadFont()
	if err != nil {
		return "", err
	}
	return f.path, nil
}

// QRCodePNG is the university's promotion code as a PNG.
func (s *Service) QRCodePNG(ctx context.Context, viewer model.User, code string) (model.University, []byte, error) {
	uni, qr, err := s.Code(ctx, viewer, code)
	if err != nil {
		return uni, nil, err
	}
	png, err := RenderQR(qr.URL, QRSize)
	if err != nil {
		return uni, nil, service.Wrap("生成二维码图片", err)
	}
	return uni, png, nil
}

// ErrNoFont is the poster's refusal when no CJK font is installed.
var ErrNoFont = &service.Error{Kind: service.ErrUnavailable, Code: "poster_font_missing",
	Message: "服务器未安装中文字体，暂时无法生成海报（二维码图片仍可下载）。请管理员安装 fonts-noto-cjk 或设置 YV_POSTER_FONT"}

// PosterPNG is the university's printable poster: 青年之声, the school's
// name, its code and the six activation steps.
func (s *Service) PosterPNG(ctx context.Context, viewer model.User, code string) (model.University, []byte, error) {
	uni, err := s.university(ctx, viewer, code)
	if err != nil {
		return uni, nil, err
	}
	f, err := s.loadFont()
	if err != nil {
		s.log.ErrorContext(ctx, "poster font missing: install a CJK font (apt-get install fonts-noto-cjk) or set YV_POSTER_FONT", "err", err)
		return uni, nil, ErrNoFont
	}
	qr, err := s.ensure(ctx, uni)
	if err != nil {
		return uni, nil, err
	}
	png, err := renderPoster(f, uni, qr.URL)
	if err != nil {
		return uni, nil, service.Wrap("生成海报", err)
	}
	return uni, png, nil
}

// AttributedCode is the code of the university the follower openid is
// attributed to, "" when none: the activation page pre-selects it.
func (s *Service) AttributedCode(ctx context.Context, openid string) (string, error) {
	return AttributedCode(ctx, s.db, openid)
}

// AttributedCode is the code of the university the follower openid is
// attributed to, "" when none.
func AttributedCode(ctx context.Context, db *model.DB, openid string) (string, error) {
	if openid == "" {
		return "", nil
	}
	var codes []string
	err := db.Conn(ctx).Raw("SELECT u.code FROM qr_follows f JOIN universities u ON u.id = f.university_id WHERE f.openid = ?",
		openid).Scan(&codes).Error
	if err != nil || len(codes) == 0 {
		return "", err
	}
	return codes[0], nil
}

// Attribute attributes the follower openid to the university of the
// scene or event key (qrscene_u-<code>, u-<code>), through source
// (model.QRSourceSubscribe or QRSourceScan), unless they are attributed
// already: the first attribution wins and is never moved, so a
// university's figures do not shrink when its students scan another
// school's poster. Keys of no university are ignored. It reports
// whether the follower was attributed now.
func Attribute(ctx context.Context, db *model.DB, openid, key, source string, at time.Time) (bool, error) {
	code, ok := CodeOfScene(key)
	if !ok || openid == "" {
		return false, nil
	}
	var ids []uint64
	if err := db.Conn(ctx).Model(&model.University{}).Where("code = ?", code).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("读取学校: %w", err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	res := db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&model.QRFollow{OpenID: openid, UniversityID: ids[0], Source: source, FollowedAt: at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("保存二维码关注来源: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
