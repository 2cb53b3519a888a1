package station

// Field limits, in characters. The service refuses longer text with a
// field error naming the field and its limit; the pages' maxlength and
// the API's documentation take them from here.
const (
	// The station's profile.
	MaxName          = 30  // 站点名称
	MaxBuilding      = 30  // 楼宇
	MaxRoom          = 20  // 房间
	MaxAddress       = 60  // 地址
	MaxDirections    = 150 // 到达方式
	MaxClosureReason = 30  // why the station is closed on a date (闭站原因)

	// A team member (附件1, second table).
	MaxMemberName     = 20 // 姓名 (at least 2)
	MaxMemberPosition = 30 // 职务
	MaxMemberWeChatID = 20 // 微信号

	// A booking. A student says in a few sentences what help is needed;
	// the rest is for the appointment itself (and the page's own limit
	// of 20,000 was never a rule, only a bound on the request).
	MaxDescription = 500 // 需求描述
	MaxReferNote   = 500 // a cadre's note with a referral (说明)

	// The station's answer to a booking.
	MaxPlace         = 50  // 地点
	MaxNote          = 150 // 备注
	MaxDeclineReason = 100 // why it cannot be arranged (原因), told to the student
	MaxAlternatives  = 100 // 替代建议
	MaxResult        = 500 // what was done (服务结果), shown to the student

	// The station list's search (学校或站点名称).
	MaxListQuery = 50

	// The student's rating.
	MaxRatingComment = 200 // 评价
)

// maxReferralDescription bounds the description a referral writes: the
// question's title (question.MaxTitle) and the note, with a label.
const maxReferralDescription = 1000
