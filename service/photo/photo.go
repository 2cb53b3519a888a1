// Package photo puts photos on questions and answers: files uploaded from
// a browser and images a phone uploaded through WeChat's JSSDK (fetched
// with media/get when the post is submitted) go through one intake
// (Intake: checked by content, re-encoded, EXIF gone), into the storage
// (service/storage), and out again only to those who may see the post.
package photo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/storage"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// WeChat is what the photos need of the WeChat API (wxapi.Client).
type WeChat interface {
	Media(ctx context.Context, mediaID string) ([]byte, error)
	JSConfig(ctx context.Context, pageURL string) (wxapi.JSConfig, error)
}

// Service stores and serves photos.
type Service struct {
	db        *model.DB
	store     storage.Store
	questions *question.Service
	wx        WeChat
	clk       clock.Clock
	log       *slog.Logger
	publicURL string
}

// New builds the service; every dependency is required. publicURL is
// YV_PUBLIC_URL: only its pages get a wx.config signature.
func New(db *model.DB, store storage.Store, questions *question.Service, wx WeChat, clk clock.Clock, log *slog.Logger, publicURL string) (*Service, error) {
	if db == nil || store == nil || questions == nil || wx == nil || clk == nil || log == nil {
		return nil, errors.New("photo.New: nil dependency")
	}
	return &Service{db: db, store: store, questions: questions, wx: wx, clk: clk, log: log,
		publicURL: strings.TrimRight(publicURL, "/")}, nil
}

// Upload is one photo a post brings: the bytes of a file chosen in a
// browser, or the serverId (MediaID) of an image uploaded through the
// JSSDK inside WeChat.
type Upload struct {
	Data    []byte
	MediaID string
}

// ErrMedia: an image uploaded in WeChat could not be fetched (expired
// after 3 days, or WeChat failing).
var ErrMedia = service.Invalid("image_media", "从微信获取图片失败"+retry, map[string]string{"images": "从微信获取图片失败"})

// prepare takes the photos of a post of u through the intake and stores
// them (full size and thumbnail), returning the rows to write with the
// post. Nothing is stored when any photo is refused.
func (s *Service) prepare(ctx context.Context, u model.User, ups []Upload) ([]model.PostImage, error) {
	if len(ups) == 0 {
		return nil, nil
	}
	if len(ups) > MaxPerPost {
		return nil, ErrTooMany
	}
	done := make([]Processed, 0, len(ups))
	for _, up := range ups {
		data := up.Data
		if up.MediaID != "" {
			var err error
			if data, err = s.wx.Media(ctx, up.MediaID); err != nil {
				s.log.WarnContext(ctx, "fetching a JSSDK image failed", "err", err)
				return nil, ErrMedia
			}
		}
		p, err := Intake(data)
		if err != nil {
			return nil, err
		}
		done = append(done, p)
	}
	now := s.clk.Now().UTC()
	rows := make([]model.PostImage, 0, len(done))
	for i, p := range done {
		key := fmt.Sprintf("images/%s/%s.jpg", now.Format("2006/01"), randomName())
		if err := s.store.Put(ctx, key, "image/jpeg", p.JPEG); err != nil {
			s.discard(ctx, rows)
			return nil, service.Wrap("保存图片", err)
		}
		row := model.PostImage{Position: i, StorageKey: key, Width: p.Width, Height: p.Height,
			Bytes: int64(len(p.JPEG)), UploaderID: u.ID, CreatedAt: now.Truncate(1e9)}
		rows = append(rows, row)
		if err := s.store.Put(ctx, key+model.ThumbSuffix, "image/jpeg", p.Thumb); err != nil {
			s.discard(ctx, rows)
			return nil, service.Wrap("保存图片", err)
		}
	}
	return rows, nil
}

// discard removes the stored files of rows a post did not keep (the post
// was refused after its photos were stored). Best effort: a leftover file
// is unreachable, no row names it.
func (s *Service) discard(ctx context.Context, rows []model.PostImage) {
	ctx = context.WithoutCancel(ctx)
	for _, r := range rows {
		for _, k := range []string{r.StorageKey, r.StorageKey + model.ThumbSuffix} {
			if err := s.store.Delete(ctx, k); err != nil {
				s.log.WarnContext(ctx, "removing an unposted photo failed", "key", k, "err", err)
			}
		}
	}
}

func randomName() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Ask is question.Service.Ask with photos.
func (s *Service) Ask(ctx context.Context, u model.User, in question.AskInput, ups []Upload) (model.Question, error) {
	rows, err := s.prepare(ctx, u, ups)
	if err != nil {
		return model.Question{}, err
	}
	in.Images = rows
	q, err := s.questions.Ask(ctx, u, in)
	if err != nil {
		s.discard(ctx, rows)
	}
	return q, err
}

// Answer is question.Service.Answer with photos.
func (s *Service) Answer(ctx context.Context, u model.User, questionID uint64, body string, ups []Upload) (question.AnswerView, error) {
	rows, err := s.prepare(ctx, u, ups)
	if err != nil {
		return question.AnswerView{}, err
	}
	a, err := s.questions.AnswerWithImages(ctx, u, questionID, body, rows)
	if err != nil {
		s.discard(ctx, rows)
	}
	return a, err
}

// Gallery is the photos of a question page: the question's, and each
// shown answer's by answer id, in order.
type Gallery struct {
	Question []model.PostImage
	Answers  map[uint64][]model.PostImage
}

// Of reads the photos of v, a question page as its viewer may see it
// (question.Service.Get leaves out the answers they may not see), in one
// query.
func (s *Service) Of(ctx context.Context, v question.View) (Gallery, error) {
	g := Gallery{Answers: map[uint64][]model.PostImage{}}
	q := s.db.Conn(ctx).Where("owner_kind = ? AND owner_id = ?", model.ImageOwnerQuestion, v.Question.ID)
	if len(v.Answers) > 0 {
		ids := make([]uint64, len(v.Answers))
		for i, a := range v.Answers {
			ids[i] = a.ID
		}
		q = q.Or("owner_kind = ? AND owner_id IN ?", model.ImageOwnerAnswer, ids)
	}
	var rows []model.PostImage
	if err := q.Order("owner_kind").Order("owner_id").Order("position").Find(&rows).Error; err != nil {
		return g, service.Wrap("读取图片", err)
	}
	for _, r := range rows {
		if r.OwnerKind == model.ImageOwnerQuestion {
			g.Question = append(g.Question, r)
		} else {
			g.Answers[r.OwnerID] = append(g.Answers[r.OwnerID], r)
		}
	}
	return g, nil
}

var errNoImage = service.NotFound("image_not_found", "图片不存在或已被删除")

// Open returns photo id (its thumbnail when thumb) if viewer may see the
// post it is on (question.Service.ImageVisible); otherwise, or when it
// does not exist, NotFound.
func (s *Service) Open(ctx context.Context, viewer model.User, id uint64, thumb bool) (storage.Object, error) {
	var r model.PostImage
	err := s.db.Conn(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return storage.Object{}, errNoImage
	}
	if err != nil {
		return storage.Object{}, service.Wrap("读取图片", err)
	}
	if err := s.questions.ImageVisible(ctx, viewer, r.OwnerKind, r.OwnerID); err != nil {
		return storage.Object{}, err
	}
	key := r.StorageKey
	if thumb {
		key += model.ThumbSuffix
	}
	obj, err := s.store.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		s.log.WarnContext(ctx, "a photo's file is missing from the storage", "id", id, "key", key)
		return obj, errNoImage
	}
	if err != nil {
		return obj, service.Wrap("读取图片", err)
	}
	return obj, nil
}

// JSConfig signs wx.config for pageURL, a page of this site (YV_PUBLIC_URL);
// the fragment is dropped, as WeChat does when it checks the signature.
func (s *Service) JSConfig(ctx context.Context, pageURL string) (wxapi.JSConfig, error) {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	if !strings.HasPrefix(pageURL, s.publicURL+"/") || len(pageURL) > 2000 {
		return wxapi.JSConfig{}, service.Invalid("bad_url", "只能为本站页面签名", map[string]string{"url": "只能为本站页面签名"})
	}
	cfg, err := s.wx.JSConfig(ctx, pageURL)
	if err != nil {
		s.log.WarnContext(ctx, "signing wx.config failed", "err", err)
		return cfg, &service.Error{Kind: service.ErrUnavailable, Code: "wechat_unavailable", Message: "微信接口暂时不可用，请稍后重试或改用「选择文件」"}
	}
	return cfg, nil
}
