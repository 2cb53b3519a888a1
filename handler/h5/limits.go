package h5

import (
	"fmt"

	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// fieldLimits are the forms' maxlength attributes, {{maxlen "key"}} in
// the templates: each is the constant of the service that enforces it,
// so the page, the API (which binds no length of its own: the body cap
// bounds memory and the service answers with a field error) and the rule
// cannot drift apart. An unknown key fails the page's rendering (tests).
var fieldLimits = map[string]int{
	"audit.actor": audit.MaxActorFilter,

	"account.credential":   account.MaxCredential,
	"account.name":         account.MaxName,
	"account.display_name": account.MaxDisplayName,

	"question.title":    question.MaxTitle,
	"question.body":     question.MaxBody,
	"question.answer":   question.MaxAnswer,
	"question.followup": question.MaxFollowUp,
	"question.reason":   question.MaxReason,
	"question.comment":  question.MaxComment,

	"cadre.position":  cadre.MaxPosition,
	"cadre.real_name": cadre.MaxRealName,
	"cadre.phone":     cadre.MaxPhone,
	"cadre.email":     cadre.MaxEmail,
	"cadre.qq":        cadre.MaxQQ,
	"cadre.wechat_id": cadre.MaxWeChatID,
	"cadre.reason":    cadre.MaxReason,
	"cadre.leave":     cadre.MaxLeaveReason,

	"station.name":           station.MaxName,
	"station.building":       station.MaxBuilding,
	"station.room":           station.MaxRoom,
	"station.address":        station.MaxAddress,
	"station.directions":     station.MaxDirections,
	"station.closure_reason": station.MaxClosureReason,
	"station.list_query":     station.MaxListQuery,
	"member.real_name":       station.MaxMemberName,
	"member.position":        station.MaxMemberPosition,
	"member.wechat_id":       station.MaxMemberWeChatID,
	"booking.description":    station.MaxDescription,
	"booking.refer_note":     station.MaxReferNote,
	"booking.place":          station.MaxPlace,
	"booking.note":           station.MaxNote,
	"booking.decline_reason": station.MaxDeclineReason,
	"booking.alternatives":   station.MaxAlternatives,
	"booking.result":         station.MaxResult,
	"booking.comment":        station.MaxRatingComment,

	"notice.title": notice.MaxTitle,
	"notice.body":  notice.MaxBody,
}

func maxLen(key string) (int, error) {
	if n, ok := fieldLimits[key]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("maxlen: no limit %q", key)
}
