package model

import "time"

// Cadre application statuses.
const (
	ApplicationPending  = "pending"
	ApplicationApproved = "approved"
	ApplicationRejected = "rejected"
)

// CadreApplication is a bound user's request to be registered as a
// real-name cadre (团学干部), with the fields of the notice's 附件1.
type CadreApplication struct {
	ID           uint64     `gorm:"primaryKey"`
	UserID       uint64     `gorm:"not null;index"`
	UniversityID uint64     `gorm:"not null;index:idx_cadre_app_uni_status,priority:1"`
	Position     string     `gorm:"size:50;not null"` // 职务
	RealName     string     `gorm:"size:50;not null"` // 姓名
	Phone        string     `gorm:"size:11;not null"` // 手机号
	Email        string     `gorm:"size:100;not null;default:''"`
	QQ           string     `gorm:"column:qq;size:15;not null;default:''"`
	WeChatID     string     `gorm:"column:wechat_id;size:40;not null;default:''"`
	Status       string     `gorm:"size:16;not null;index:idx_cadre_app_uni_status,priority:2"`
	Reason       string     `gorm:"size:200;not null;default:''"`
	DecidedBy    *uint64    `gorm:""`
	DecidedAt    *time.Time `gorm:""`
	CreatedAt    time.Time  `gorm:"not null"`
	UpdatedAt    time.Time  `gorm:"not null"`
}

// Board kinds.
const (
	BoardUniversity = "university" // 专属版区 of one university
	BoardProvince   = "province"   // provincial topic board
)

// Board is a place to ask: a university's own board or a provincial one.
type Board struct {
	ID           uint64  `gorm:"primaryKey"`
	Key          string  `gorm:"size:40;not null;uniqueIndex"`
	Name         string  `gorm:"size:120;not null"`
	Kind         string  `gorm:"size:16;not null"`
	UniversityID *uint64 `gorm:"uniqueIndex"`
	SortOrder    int     `gorm:"not null;default:0"`
	Enabled      bool    `gorm:"not null"`
}

// Question statuses.
const (
	QuestionReview   = "review"   // held for the university admin (sensitive words)
	QuestionOpen     = "open"     // published, not answered yet
	QuestionAnswered = "answered" // a cadre answered
	QuestionResolved = "resolved" // the asker marked it resolved
	QuestionHidden   = "hidden"   // hidden by an admin
)

// Question is a student's question on a board. DueAt is the 24-hour
// promise; FirstAnsweredAt and PromiseKept feed the statistics.
// RejectedAt is set when the question was hidden while held for review:
// it was never published, so until an admin restores it, it is not one of
// the questions asked.
type Question struct {
	ID              uint64     `gorm:"primaryKey"`
	BoardID         uint64     `gorm:"not null;index:idx_question_board_status,priority:1"`
	UniversityID    uint64     `gorm:"not null;index"` // the asker's university
	AskerID         uint64     `gorm:"not null;index"`
	Title           string     `gorm:"size:200;not null"`
	Body            string     `gorm:"type:text;not null"`
	Anonymous       bool       `gorm:"not null"`
	Status          string     `gorm:"size:16;not null;index:idx_question_board_status,priority:2"`
	DueAt           time.Time  `gorm:"not null;index"`
	FirstAnsweredAt *time.Time `gorm:""`
	FirstResponseS  *int64     `gorm:"column:first_response_seconds"`
	PromiseKept     *bool      `gorm:""`
	RemindedAt      *time.Time `gorm:""`
	OverdueAt       *time.Time `gorm:""`
	Rating          string     `gorm:"size:8;not null;default:''"` // 满意 / 一般 / 不满意
	RatingComment   string     `gorm:"size:200;not null;default:''"`
	HiddenReason    string     `gorm:"size:200;not null;default:''"`
	RejectedAt      *time.Time `gorm:""`
	MetooCount      int        `gorm:"not null;default:0"` // 同问 (question_metoos)
	CreatedAt       time.Time  `gorm:"not null;index"`
	UpdatedAt       time.Time  `gorm:"not null"`
}

// Answer kinds and statuses.
const (
	AnswerKindAnswer   = "answer"   // by a cadre
	AnswerKindFollowUp = "followup" // by the asker
	AnswerPublished    = "published"
	AnswerReview       = "review"
	AnswerHidden       = "hidden"
)

// Answer is a cadre's answer or the asker's follow-up.
type Answer struct {
	ID           uint64    `gorm:"primaryKey"`
	QuestionID   uint64    `gorm:"not null;index;index:idx_answer_author_created,priority:5"`
	AuthorID     uint64    `gorm:"not null;index:idx_answer_author_created,priority:1"`
	Kind         string    `gorm:"size:16;not null;index:idx_answer_author_created,priority:3"`
	Body         string    `gorm:"type:text;not null"`
	Status       string    `gorm:"size:16;not null;index:idx_answer_author_created,priority:4"`
	HiddenReason string    `gorm:"size:200;not null;default:''"`
	HelpfulCount int       `gorm:"not null;default:0"` // 有用 (answer_helpfuls)
	CreatedAt    time.Time `gorm:"not null;index:idx_answer_author_created,priority:2"`
	UpdatedAt    time.Time `gorm:"not null;index:idx_answer_author_created,priority:6"`
}

// CrossBoardAnswerSQL is the condition "the answer is a reply by a cadre
// or admin of another university on a university's board" (外校回帖), for
// a query over answers joined to its question's board as b and to its
// author as u:
//
//	answers a JOIN questions q ON q.id = a.question_id
//	JOIN boards b ON b.id = q.board_id JOIN users u ON u.id = a.author_id
//
// with the arguments CrossBoardAnswerArgs (and a.kind = answer for cadre
// answers only). It is derived, not stored: an account's university never
// changes once set, and a university board's questions are all its own
// students'. Answers on the provincial boards and the province admin's
// are never cross-board; the condition is never NULL, so NOT (…) is the
// host's answers. service/question decides the same in Go (crossBoard).
const CrossBoardAnswerSQL = "(b.kind = ? AND b.university_id IS NOT NULL AND u.university_id IS NOT NULL AND u.university_id <> b.university_id AND (u.roles & ?) = 0)"

// CrossBoardAnswerArgs are CrossBoardAnswerSQL's arguments.
func CrossBoardAnswerArgs() []any { return []any{BoardUniversity, RoleBit(RoleProvinceAdmin)} }

// QuestionMetoo is one person's 同问 (me too) on a question: they want the
// answer as well, and are alerted of it as the asker is.
type QuestionMetoo struct {
	QuestionID uint64    `gorm:"primaryKey;autoIncrement:false"`
	UserID     uint64    `gorm:"primaryKey;autoIncrement:false;index:idx_question_metoo_user,priority:1"`
	CreatedAt  time.Time `gorm:"not null;index:idx_question_metoo_user,priority:2"`
}

// AnswerHelpful is one person's 有用 on an answer.
type AnswerHelpful struct {
	AnswerID  uint64    `gorm:"primaryKey;autoIncrement:false"`
	UserID    uint64    `gorm:"primaryKey;autoIncrement:false;index:idx_answer_helpful_user,priority:1"`
	CreatedAt time.Time `gorm:"not null;index:idx_answer_helpful_user,priority:2"`
}

// QuestionOpenCount is how many questions of a university are open,
// kept in the same transaction as every change of a question's status
// (service/question), so that the province's overdue view reads 166 rows
// instead of counting every overdue question: overdue = open − open and
// not yet due, and the latter is at most a day of questions.
type QuestionOpenCount struct {
	UniversityID uint64 `gorm:"primaryKey;autoIncrement:false"`
	OpenCount    int64  `gorm:"not null;default:0"`
}

// Owner kinds of a PostImage.
const (
	ImageOwnerQuestion = "question"
	ImageOwnerAnswer   = "answer"
)

// PostImage is a photo on a question or an answer (up to 3 each): the
// re-encoded JPEG is in the storage under StorageKey, its thumbnail
// under StorageKey + ThumbSuffix.
type PostImage struct {
	ID         uint64    `gorm:"primaryKey" json:"id"`
	OwnerKind  string    `gorm:"size:10;not null;uniqueIndex:idx_post_image_owner,priority:1" json:"-"`
	OwnerID    uint64    `gorm:"not null;uniqueIndex:idx_post_image_owner,priority:2" json:"-"`
	Position   int       `gorm:"not null;uniqueIndex:idx_post_image_owner,priority:3" json:"position"`
	StorageKey string    `gorm:"size:200;not null;uniqueIndex:idx_post_image_key" json:"-"`
	Width      int       `gorm:"not null" json:"width"`
	Height     int       `gorm:"not null" json:"height"`
	Bytes      int64     `gorm:"not null" json:"bytes"`
	UploaderID uint64    `gorm:"not null;index:idx_post_image_uploader,priority:1" json:"-"`
	CreatedAt  time.Time `gorm:"not null;index:idx_post_image_uploader,priority:2" json:"created_at"`
}

// ThumbSuffix ends the storage key of a PostImage's thumbnail.
const ThumbSuffix = "_t"
