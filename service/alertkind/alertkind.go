// Package alertkind is the one registry of the alerts (template messages)
// the service sends: each kind's key, Chinese name and default template
// field mapping. The key names the kind everywhere outside the code: in
// the configuration file (alerts.templates.<key>), the environment
// (YV_TEMPLATE_<KEY>_ID, _FIELDS) and the outbox rows (template_key), so
// keys never change. It imports nothing of the service, so config and the
// services can both use it.
package alertkind

import (
	"cmp"
	"slices"
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
	PasswordChanged
	QuestionWithdrawn
)

// info is a kind's entry in the registry.
type info struct {
	key, name string
	// fields maps our field names (what the service fills in) to the
	// keywords of the 公众平台 library template the deployment guide
	// recommends (thing1, time3 …); templates ids are per account.
	fields map[string]string
	// labels are the fields' Chinese meanings (title → 提问标题), for
	// pages that show a message's fields (the sandbox's inbox).
	labels map[string]string
}

// registry is indexed by Kind; entry 0 is the zero Kind's.
var registry = [...]info{
	{},
	QuestionNew: {"question_new", "新提问提醒", map[string]string{"title": "thing1", "board": "thing2", "time": "time3"},
		map[string]string{"title": "提问标题", "board": "版区", "time": "提问时间"}},
	Answered: {"answered", "提问已答复", map[string]string{"title": "thing1", "answerer": "thing2", "time": "time3"},
		map[string]string{"title": "提问标题", "answerer": "答复人", "time": "答复时间"}},
	FollowUp: {"followup", "提问者追问", map[string]string{"title": "thing1", "content": "thing2", "time": "time3"},
		map[string]string{"title": "提问标题", "content": "追问内容", "time": "追问时间"}},
	Reminder: {"reminder", "即将超时提醒", map[string]string{"title": "thing1", "board": "thing2", "due": "time3"},
		map[string]string{"title": "提问标题", "board": "版区", "due": "答复期限"}},
	Overdue: {"overdue", "超时未答复", map[string]string{"title": "thing1", "university": "thing2", "due": "time3"},
		map[string]string{"title": "提问标题", "university": "学校", "due": "答复期限"}},
	ApplicationDecided: {"application_decided", "干部申请审核结果", map[string]string{"result": "phrase1", "reason": "thing2", "time": "time3"},
		map[string]string{"result": "审核结果", "reason": "说明", "time": "审核时间"}},
	Moderated: {"moderated", "内容处理结果", map[string]string{"title": "thing1", "result": "phrase2", "reason": "thing3"},
		map[string]string{"title": "内容标题", "result": "处理结果", "reason": "处理原因"}},
	BookingNew: {"booking_new", "新预约提醒", map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"},
		map[string]string{"service": "服务项目", "slot": "预约时段", "due": "反馈期限"}},
	BookingReply: {"booking_reply", "预约回复", map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"},
		map[string]string{"service": "服务项目", "result": "处理结果", "detail": "说明"}},
	BookingReminder: {"booking_reminder", "预约即将超时", map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"},
		map[string]string{"service": "服务项目", "slot": "预约时段", "due": "反馈期限"}},
	BookingEscalated: {"booking_escalated", "预约超时未反馈", map[string]string{"station": "thing1", "service": "thing2", "due": "time3"},
		map[string]string{"station": "服务站", "service": "服务项目", "due": "反馈期限"}},
	Appointment: {"appointment", "预约即将开始", map[string]string{"service": "thing1", "time": "time2", "place": "thing3"},
		map[string]string{"service": "服务项目", "time": "预约时间", "place": "地点"}},
	BookingServed: {"booking_served", "服务完成请评价", map[string]string{"service": "thing1", "result": "thing2"},
		map[string]string{"service": "服务项目", "result": "服务结果"}},
	BookingReferral: {"booking_referral", "提问已转介到青年之家", map[string]string{"title": "thing1", "service": "thing2", "station": "thing3"},
		map[string]string{"title": "提问标题", "service": "服务项目", "station": "服务站"}},
	BookingChanged: {"booking_changed", "学生取消或接受改期", map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"},
		map[string]string{"service": "服务项目", "result": "变更", "detail": "说明"}},
	RoleChanged: {"role_changed", "身份变更通知", map[string]string{"role": "thing1", "result": "phrase2", "reason": "thing3", "time": "time4"},
		map[string]string{"role": "身份", "result": "结果", "reason": "原因", "time": "时间"}},
	OnboardingReminder: {"onboarding_reminder", "上线即将到期提醒", map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"},
		map[string]string{"university": "学校", "missing": "待完成事项", "due": "截止时间"}},
	OnboardingLate: {"onboarding_late", "高校逾期未正常运营", map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"},
		map[string]string{"university": "学校", "missing": "待完成事项", "due": "截止时间"}},
	Notice: {"notice", "新通知", map[string]string{"title": "thing1", "time": "time2"},
		map[string]string{"title": "通知标题", "time": "发布时间"}},
	PasswordChanged: {"password_changed", "密码已修改/重置", map[string]string{"how": "thing1", "time": "time2"},
		map[string]string{"how": "方式", "time": "时间"}},
	QuestionWithdrawn: {"question_withdrawn", "提问已撤回", map[string]string{"title": "thing1", "board": "thing2", "time": "time3"},
		map[string]string{"title": "提问标题", "board": "版区", "time": "撤回时间"}},
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

// Field is one field of a kind's template message as sent by default.
type Field struct {
	Name    string // our field name: title
	Keyword string // the template's keyword: thing1
	Label   string // its Chinese meaning: 提问标题
}

// Fields lists k's fields in the template's order (by the keywords'
// numbers: thing1, thing2, time3).
func (k Kind) Fields() []Field {
	if !k.Valid() {
		return nil
	}
	out := make([]Field, 0, len(registry[k].fields))
	for f, kw := range registry[k].fields {
		out = append(out, Field{Name: f, Keyword: kw, Label: registry[k].labels[f]})
	}
	slices.SortFunc(out, func(a, b Field) int { return cmp.Compare(keywordNumber(a.Keyword), keywordNumber(b.Keyword)) })
	return out
}

// Label is the Chinese meaning of k's field (our name: title → 提问标题);
// "" for a field k does not have.
func (k Kind) Label(field string) string {
	if !k.Valid() {
		return ""
	}
	return registry[k].labels[field]
}

// keywordNumber is the number ending a template keyword (time3 → 3).
func keywordNumber(kw string) int {
	i := len(kw)
	for i > 0 && kw[i-1] >= '0' && kw[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(kw[i:])
	return n
}
