package question

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// MaxImages is how many photos one question or answer carries.
const MaxImages = 3

var errNoImage = service.NotFound("image_not_found", "图片不存在或已被删除")

// addImages records the photos (already stored, see service/photo) of a
// new post in its transaction, in order.
func (s *Service) addImages(ctx context.Context, kind string, owner uint64, imgs []model.PostImage) error {
	if len(imgs) == 0 {
		return nil
	}
	if len(imgs) > MaxImages {
		return service.Invalid("too_many_images", "每条最多 3 张图片", map[string]string{"images": "每条最多 3 张图片"})
	}
	rows := make([]model.PostImage, len(imgs))
	for i, im := range imgs {
		im.ID, im.OwnerKind, im.OwnerID, im.Position = 0, kind, owner, i
		rows[i] = im
	}
	return s.db.Conn(ctx).Create(&rows).Error
}

// ImageVisible reports (nil) whether viewer may see a photo of the post
// kind/id: whoever may see the post. A question held for review or
// hidden (withdrawn, rejected) is its asker's and its moderators' only,
// as on its page; an answer in review or hidden, its author's and its
// moderators'. Anything else is NotFound, like a missing photo.
func (s *Service) ImageVisible(ctx context.Context, viewer model.User, kind string, id uint64) error {
	qid := id
	var a model.Answer
	switch kind {
	case model.ImageOwnerQuestion:
	case model.ImageOwnerAnswer:
		err := s.db.Conn(ctx).Select("id", "question_id", "author_id", "status").Take(&a, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errNoImage
		}
		if err != nil {
			return service.Wrap("读取答复", err)
		}
		qid = a.QuestionID
	default:
		return errNoImage
	}
	q, _, err := s.load(ctx, viewer, qid)
	if errors.Is(err, service.ErrNotFound) {
		return errNoImage
	}
	if err != nil {
		return service.Wrap("读取问题", err)
	}
	if kind == model.ImageOwnerAnswer && a.Status != model.AnswerPublished &&
		a.AuthorID != viewer.ID && !canModerate(viewer, q.UniversityID) {
		return errNoImage
	}
	return nil
}
