package photo_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/photo/phototest"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/storage"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// stubWeChat serves the images a phone "uploaded", by media id.
type stubWeChat struct{ media map[string][]byte }

func (s stubWeChat) Media(_ context.Context, id string) ([]byte, error) {
	if b, ok := s.media[id]; ok {
		return b, nil
	}
	return nil, &wxapi.Error{API: "media/get", Code: 40007, Msg: "invalid media_id"}
}

func (stubWeChat) JSConfig(_ context.Context, u string) (wxapi.JSConfig, error) {
	return wxapi.JSConfig{AppID: "wxtest", Signature: "sig:" + u}, nil
}

type world struct {
	db                            *model.DB
	store                         storage.Store
	questions                     *question.Service
	photos                        *photo.Service
	student, other, cadre, admin  model.User
	otherUniStudent, otherUniCadr model.User
}

func newWorld(t *testing.T, db *model.DB) *world {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	qs, err := question.New(db, clk, servicetest.Notifier(t, db, clk), question.ParseWords(config.DefaultSensitiveWords), servicetest.DiscardLog())
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wx := stubWeChat{media: map[string][]byte{"MEDIA_phone": phototest.JPEGWithEXIF(300, 200, 1)}}
	ps, err := photo.New(db, store, qs, wx, clk, servicetest.DiscardLog(), servicetest.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	var unis []model.University
	if err := db.Conn(context.Background()).Order("id").Limit(2).Find(&unis).Error; err != nil || len(unis) != 2 {
		t.Fatalf("universities: %v", err)
	}
	a, b := &unis[0].ID, &unis[1].ID
	return &world{db: db, store: store, questions: qs, photos: ps,
		student:         servicetest.NewUser(t, db, model.RoleStudent, a, true),
		other:           servicetest.NewUser(t, db, model.RoleStudent, a, true),
		cadre:           servicetest.NewUser(t, db, model.RoleCadre, a, true),
		admin:           servicetest.NewUser(t, db, model.RoleUniversityAdm, a, true),
		otherUniStudent: servicetest.NewUser(t, db, model.RoleStudent, b, true),
		otherUniCadr:    servicetest.NewUser(t, db, model.RoleCadre, b, true),
	}
}

func files(n int) []photo.Upload {
	out := make([]photo.Upload, n)
	for i := range out {
		out[i] = photo.Upload{Data: phototest.JPEGWithEXIF(120+i, 80, 1)}
	}
	return out
}

func TestAskAndAnswerWithPhotos(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b.NewDB(t))
		ups := append(files(2), photo.Upload{MediaID: "MEDIA_phone"}) // two files and one from WeChat
		q, err := w.photos.Ask(ctx, w.student, question.AskInput{Title: "奖学金申请表怎么填", Body: "见照片"}, ups)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.questions.Get(ctx, w.cadre, q.ID); err != nil {
			t.Fatal(err)
		}
		a, err := w.photos.Answer(ctx, w.cadre, q.ID, "按照片中的第二栏填写。", files(1))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := w.questions.Get(ctx, w.student, q.ID)
		g, err := w.photos.Of(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Question) != 3 || len(g.Answers[a.ID]) != 1 {
			t.Fatalf("gallery: %d on the question, %d on the answer", len(g.Question), len(g.Answers[a.ID]))
		}
		for i, im := range g.Question {
			if im.Position != i || im.UploaderID != w.student.ID || im.Width == 0 {
				t.Fatalf("photo %d: %+v", i, im)
			}
		}
		// The stored bytes are a clean JPEG: no EXIF, no GPS, from the
		// browser's file and from WeChat's media alike.
		for _, im := range append(g.Question, g.Answers[a.ID]...) {
			for _, thumb := range []bool{false, true} {
				obj, err := w.photos.Open(ctx, w.cadre, im.ID, thumb)
				if err != nil {
					t.Fatal(err)
				}
				if obj.ContentType != "image/jpeg" || hasEXIF(obj.Data) || bytes.Contains(obj.Data, []byte(phototest.GPSMarker)) {
					t.Fatalf("photo %d (thumb %v): %s, EXIF kept: %v", im.ID, thumb, obj.ContentType, hasEXIF(obj.Data))
				}
				if _, err := jpeg.DecodeConfig(bytes.NewReader(obj.Data)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Public question: every signed-in user sees its photos, like the
		// question itself (a student of another university included).
		for _, u := range []model.User{w.student, w.other, w.cadre, w.admin, w.otherUniStudent, w.otherUniCadr} {
			if _, err := w.photos.Open(ctx, u, g.Question[0].ID, false); err != nil {
				t.Fatalf("user %d: %v", u.ID, err)
			}
		}
	})
}

func TestPhotoLimits(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b.NewDB(t))
		in := question.AskInput{Title: "四张图片", Body: "第四张应被拒绝"}
		_, err := w.photos.Ask(ctx, w.student, in, files(4))
		se := servicetest.WantErr(t, "4 photos", err, service.ErrInvalid, "too_many_images")
		if se.Fields["images"] == "" || !servicetest.HasHan(se.Message) {
			t.Fatalf("error: %+v", se)
		}
		for _, c := range []struct {
			up   photo.Upload
			code string
		}{
			{photo.Upload{Data: []byte("not a picture at all")}, "image_type"},
			{photo.Upload{Data: phototest.Bomb(20000, 20000)}, "image_too_many_pixels"},
			{photo.Upload{MediaID: "MEDIA_expired"}, "image_media"},
		} {
			_, err := w.photos.Ask(ctx, w.student, in, []photo.Upload{{Data: phototest.JPEG(20, 20)}, c.up})
			servicetest.WantErr(t, c.code, err, service.ErrInvalid, c.code)
		}
		// Nothing of the refused posts was kept: no question, no row.
		var n int64
		w.db.Conn(ctx).Model(&model.PostImage{}).Count(&n)
		var qs int64
		w.db.Conn(ctx).Model(&model.Question{}).Where("asker_id = ?", w.student.ID).Count(&qs)
		if n != 0 || qs != 0 {
			t.Fatalf("refused posts left %d photos, %d questions", n, qs)
		}
		// A post refused after its photos were stored (an empty title)
		// leaves no file behind either.
		_, err = w.photos.Ask(ctx, w.student, question.AskInput{Title: ""}, files(1))
		servicetest.WantErr(t, "no title", err, service.ErrInvalid, "title_required")
		w.db.Conn(ctx).Model(&model.PostImage{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d photo rows after a refused post", n)
		}
	})
}

func TestHiddenPostsPhotos(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		w := newWorld(t, b.NewDB(t))
		q, err := w.photos.Ask(ctx, w.student, question.AskInput{Title: "宿舍报修单", Body: "照片"}, files(1))
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.photos.Answer(ctx, w.cadre, q.ID, "已转后勤处理。", files(1))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := w.questions.Get(ctx, w.student, q.ID)
		g, _ := w.photos.Of(ctx, v)
		qimg, aimg := g.Question[0].ID, g.Answers[a.ID][0].ID

		// The answer hidden: its photo goes with it, for all but its
		// author and the moderators.
		if err := w.questions.Hide(ctx, w.admin, "answer", a.ID, "与问题无关"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.photos.Open(ctx, w.student, aimg, true); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("hidden answer's photo to the asker: %v", err)
		}
		for _, u := range []model.User{w.cadre, w.admin} {
			if _, err := w.photos.Open(ctx, u, aimg, false); err != nil {
				t.Fatalf("hidden answer's photo to %d: %v", u.ID, err)
			}
		}
		// The question hidden: its photos only to the asker and the
		// moderators, not to other students or the cadres.
		if err := w.questions.Hide(ctx, w.admin, "question", q.ID, "重复提问"); err != nil {
			t.Fatal(err)
		}
		for _, u := range []model.User{w.other, w.otherUniStudent, w.cadre, w.otherUniCadr} {
			if _, err := w.photos.Open(ctx, u, qimg, false); !errors.Is(err, service.ErrNotFound) {
				t.Fatalf("hidden question's photo to %d: %v", u.ID, err)
			}
		}
		for _, u := range []model.User{w.student, w.admin} {
			if _, err := w.photos.Open(ctx, u, qimg, false); err != nil {
				t.Fatalf("hidden question's photo to %d: %v", u.ID, err)
			}
		}
		if _, err := w.photos.Open(ctx, w.student, 987654321, false); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("missing photo: %v", err)
		}
	})
}

func TestJSConfigOnlyForOwnPages(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	cfg, err := w.photos.JSConfig(ctx, servicetest.PublicURL+"/h5/ask?board=x#top")
	if err != nil || cfg.Signature != "sig:"+servicetest.PublicURL+"/h5/ask?board=x" {
		t.Fatalf("signed %q: %v", cfg.Signature, err)
	}
	for _, u := range []string{"https://evil.example.org/h5/ask", servicetest.PublicURL + ".evil.org/x", ""} {
		if _, err := w.photos.JSConfig(ctx, u); !errors.Is(err, service.ErrInvalid) {
			t.Errorf("%q: %v", u, err)
		}
	}
}
