// Package alertkind is the one registry of the alerts (template messages)
// the service sends: each kind's key, Chinese name and default template
// field mapping. The key names the kind everywhere outside the code: in
// the configuration file (alerts.templates.<key>), the environment
// (YV_TEMPLATE_<KEY>_ID, _FIELDS) and the outbox rows (template_key), so
// keys never change. It imports nothing of the service, so config and the
// services can both use it.
package alertkind

import (
	"strconv"
	"strings"
)

// Kind is one alert. It is not a string, so that a misspelt kind, or a key
// passed where a Kind is wanted, does not compile.
type Kind uint8

// The alerts, in the order of the configuration and the documentation.
// The zero Kind is none of them.
const (
	QuestionNew Kind = iota + 1
	Answered
	FollowUp
	Reminder
	Overdue
	ApplicationDecided
	Moderated
	BookingNew
	BookingReply
	BookingReminder
	BookingEscalated
	Appointment
	BookingServed
	BookingReferral
	BookingChanged
	RoleChanged
	OnboardingReminder
	OnboardingLate
	Notice
)

// info is a kind's entry in the registry.
type info struct {
	key, name string
	// fields maps our field names (what the service fills in) to the
	// keywords of the 公众平台 library template the deployment guide
	// recommends (thing1, time3 …); templates ids are per account.
	fields map[string]string
}

// registry is indexed by Kind; entry 0 is the zero Kind's.
var registry = [...]info{
	{},
	QuestionNew:        {"question_new", "新提问提醒", map[string]string{"title": "thing1", "board": "thing2", "time": "time3"}},
	Answered:           {"answered", "提问已答复", map[string]string{"title": "thing1", "answerer": "thing2", "time": "time3"}},
	FollowUp:           {"followup", "提问者追问", map[string]string{"title": "thing1", "content": "thing2", "time": "time3"}},
	Reminder:           {"reminder", "即将超时提醒", map[string]string{"title": "thing1", "board": "thing2", "due": "time3"}},
	Overdue:            {"overdue", "超时未答复", map[string]string{"title": "thing1", "university": "thing2", "due": "time3"}},
	ApplicationDecided: {"application_decided", "干部申请审核结果", map[string]string{"result": "phrase1", "reason": "thing2", "time": "time3"}},
	Moderated:          {"moderated", "内容处理结果", map[string]string{"title": "thing1", "result": "phrase2", "reason": "thing3"}},
	BookingNew:         {"booking_new", "新预约提醒", map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"}},
	BookingReply:       {"booking_reply", "预约回复", map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"}},
	BookingReminder:    {"booking_reminder", "预约即将超时", map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"}},
	BookingEscalated:   {"booking_escalated", "预约超时未反馈", map[string]string{"station": "thing1", "service": "thing2", "due": "time3"}},
	Appointment:        {"appointment", "预约即将开始", map[string]string{"service": "thing1", "time": "time2", "place": "thing3"}},
	BookingServed:      {"booking_served", "服务完成请评价", map[string]string{"service": "thing1", "result": "thing2"}},
	BookingReferral:    {"booking_referral", "提问已转介到青年之家", map[string]string{"title": "thing1", "service": "thing2", "station": "thing3"}},
	BookingChanged:     {"booking_changed", "学生取消或接受改期", map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"}},
	RoleChanged:        {"role_changed", "身份变更通知", map[string]string{"role": "thing1", "result": "phrase2", "reason": "thing3", "time": "time4"}},
	OnboardingReminder: {"onboarding_reminder", "上线即将到期提醒", map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"}},
	OnboardingLate:     {"onboarding_late", "高校逾期未正常运营", map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"}},
	Notice:             {"notice", "新通知", map[string]string{"title": "thing1", "time": "time2"}},
}

// All lists every kind in order.
func All() []Kind {
	out := make([]Kind, 0, len(registry)-1)
	for k := QuestionNew; int(k) < len(registry); k++ {
		out = append(out, k)
	}
	return out
}

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool { return k >= QuestionNew && int(k) < len(registry) }

// Key is k's stable name in configuration, environment and outbox rows
// ("answered"); "" for an invalid kind.
func (k Kind) Key() string {
	if !k.Valid() {
		return ""
	}
	return registry[k].key
}

// String is Key, or a placeholder naming the bad value.
func (k Kind) String() string {
	if !k.Valid() {
		return "alertkind(" + strconv.Itoa(int(k)) + ")"
	}
	return registry[k].key
}

// Name is k's Chinese name, for pages ("提问已答复").
func (k Kind) Name() string {
	if !k.Valid() {
		return ""
	}
	return registry[k].name
}

// DefaultFields is a copy of k's default field mapping (our field name →
// template keyword).
func (k Kind) DefaultFields() map[string]string {
	if !k.Valid() {
		return nil
	}
	out := make(map[string]string, len(registry[k].fields))
	for f, kw := range registry[k].fields {
		out[f] = kw
	}
	return out
}

// EnvPrefix is the stem of k's environment variables: YV_TEMPLATE_ANSWERED
// (then _ID and _FIELDS).
func (k Kind) EnvPrefix() string { return "YV_TEMPLATE_" + strings.ToUpper(k.Key()) }

// Parse finds the kind whose key is key (as stored in an outbox row or
// written in the configuration).
func Parse(key string) (Kind, bool) {
	for _, k := range All() {
		if registry[k].key == key {
			return k, true
		}
	}
	return 0, false
}

// Keys lists every key in order, for messages that name the valid ones.
func Keys() []string {
	out := make([]string, 0, len(registry)-1)
	for _, k := range All() {
		out = append(out, k.Key())
	}
	return out
}
