package question_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// Each text field is taken up to its exported limit and refused one
// character past it, with a message on the field naming it and the
// limit: the pages and the API show what the service enforces.
func TestFieldLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := f.ask(t, f.studentA, "", runes("问", question.MaxTitle), runes("字", question.MaxBody), false)
		f.answer(t, f.cadreA1, q.ID, runes("答", question.MaxAnswer))
		if _, err := f.svc.FollowUp(ctx, f.studentA, q.ID, runes("追", question.MaxFollowUp)); err != nil {
			t.Fatalf("follow-up at the limit: %v", err)
		}
		cases := []struct {
			name, field, label string
			limit              int
			try                func(over string) error
		}{
			{"title", "title", "标题", question.MaxTitle, func(v string) error {
				_, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: v})
				return err
			}},
			{"body", "body", "补充说明", question.MaxBody, func(v string) error {
				_, err := f.svc.Ask(ctx, f.studentA, question.AskInput{Title: "标题", Body: v})
				return err
			}},
			{"answer", "body", "答复", question.MaxAnswer, func(v string) error {
				_, err := f.svc.Answer(ctx, f.cadreA1, q.ID, v)
				return err
			}},
			{"follow-up", "body", "追问", question.MaxFollowUp, func(v string) error {
				_, err := f.svc.FollowUp(ctx, f.studentA, q.ID, v)
				return err
			}},
			{"hide reason", "reason", "原因", question.MaxReason, func(v string) error {
				return f.svc.Hide(ctx, f.adminA, "question", q.ID, v)
			}},
			{"rating comment", "comment", "评价", question.MaxComment, func(v string) error {
				_, err := f.svc.Resolve(ctx, f.studentA, q.ID, question.Ratings[0], v)
				return err
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.try(runes("字", tc.limit+1))
				servicetest.WantFieldError(t, tc.name, err, tc.field, tc.label, strconv.Itoa(tc.limit))
			})
		}
	})
}
