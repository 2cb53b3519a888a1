package account

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// MaxDisplayName bounds a display name (显示名称), in characters.
const MaxDisplayName = 20

// DisplayNameHint explains the field on the activation and 设置 pages.
const DisplayNameHint = "其他同学和老师看到的名字，不要填写手机号；不填则显示为「" + model.DefaultDisplayName + "」"

// Words finds sensitive words (question.Words does): display names are
// shown to everyone, so they pass the same check as questions.
type Words interface {
	Match(texts ...string) string
}

// noWords matches nothing: the service built without a word list.
type noWords struct{}

func (noWords) Match(...string) string { return "" }

// phoneLikeRE finds a run of 7 or more digits, blanks and dashes between
// them allowed: a display name is no place for a phone or QQ number.
var phoneLikeRE = regexp.MustCompile(`[0-9０-９](?:[\s\-－]*[0-9０-９]){6,}`)

// checkDisplayName cleans name and records what is wrong with it under
// fields["display_name"]. Empty is allowed: the default name is shown.
func (s *Service) checkDisplayName(fields map[string]string, name string) string {
	name = service.CleanLine(name)
	switch n := utf8.RuneCountInString(name); {
	case name == "":
	case n > MaxDisplayName:
		fields["display_name"] = fmt.Sprintf("显示名称不能超过 %d 个字", MaxDisplayName)
	case phoneLikeRE.MatchString(name):
		fields["display_name"] = "显示名称不能包含手机号等号码"
	case s.words.Match(name) != "":
		fields["display_name"] = "显示名称包含不适宜的词语，请修改"
	case strings.EqualFold(name, model.ClosedName):
		fields["display_name"] = "请换一个显示名称"
	}
	return name
}

// SetDisplayName changes u's display name; an empty one restores the
// default 某某同学.
func (s *Service) SetDisplayName(ctx context.Context, u model.User, name string) (model.User, error) {
	fields := map[string]string{}
	name = s.checkDisplayName(fields, name)
	if len(fields) > 0 {
		return model.User{}, service.Invalid("invalid_display_name", fields["display_name"], fields)
	}
	if err := s.db.Conn(ctx).Model(&model.User{}).Where("id = ? AND closed_at IS NULL", u.ID).
		Updates(map[string]any{"display_name": name, "updated_at": s.clock.Now().UTC()}).Error; err != nil {
		return model.User{}, service.Wrap("修改显示名称", err)
	}
	s.log.InfoContext(ctx, "display name changed", "user_id", u.ID)
	return s.UserByID(ctx, u.ID)
}
