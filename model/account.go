package model

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Construction batches of the 青年之家 stations (the notice, 工作任务 3.4).
const (
	BatchUndergraduate     = 1 // 本科（含独立学院）: 4月30日
	BatchPublicVocational  = 2 // 公办专科（高职）: 6月30日
	BatchPrivateVocational = 3 // 民办专科（高职）: 10月30日
)

// University is one Guangdong higher-education institution.
type University struct {
	ID        uint64    `gorm:"primaryKey"`
	Code      string    `gorm:"size:10;not null;uniqueIndex"`
	Name      string    `gorm:"size:100;not null"`
	City      string    `gorm:"size:20;not null"`
	Level     string    `gorm:"size:10;not null"` // 本科 / 专科
	Ownership string    `gorm:"size:10;not null"` // 公办 / 民办
	Note      string    `gorm:"size:100;not null;default:''"`
	Batch     int       `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Entry is an activation entry (入口): 高校 today; 地市, 中学 … later.
type Entry struct {
	ID        uint64 `gorm:"primaryKey"`
	Key       string `gorm:"size:32;not null;uniqueIndex"`
	Name      string `gorm:"size:20;not null"`
	Kind      string `gorm:"size:20;not null"` // "university": pick from universities
	Enabled   bool   `gorm:"not null"`
	SortOrder int    `gorm:"not null;default:0"`
}

// Entry kinds the activation flow knows.
const EntryKindUniversity = "university"

// Roles. Later issues grant the others.
const (
	RoleStudent       = "student"
	RoleCadre         = "cadre"
	RoleStationAdmin  = "station_admin"
	RoleUniversityAdm = "university_admin"
	RoleProvinceAdmin = "province_admin"
)

// An account holds a set of roles (issue 21: a student leader may be a
// cadre and a station admin at once). users.roles is the set as a bit
// mask; every account is a student besides, so the empty set is a
// student. users.role keeps the highest role of the set, the one shown
// beside a name; permission checks ask Has, never compare Role.
const (
	roleBitCadre = 1 << iota
	roleBitStationAdmin
	roleBitUniversityAdm
	roleBitProvinceAdmin
)

// rolesByRank lists the roles above student, highest first.
var rolesByRank = []string{RoleProvinceAdmin, RoleUniversityAdm, RoleStationAdmin, RoleCadre}

// RoleBit is role's bit in users.roles (0 for student and unknown roles).
func RoleBit(role string) int {
	switch role {
	case RoleCadre:
		return roleBitCadre
	case RoleStationAdmin:
		return roleBitStationAdmin
	case RoleUniversityAdm:
		return roleBitUniversityAdm
	case RoleProvinceAdmin:
		return roleBitProvinceAdmin
	}
	return 0
}

// PrimaryRole is the highest role of the set mask: what users.role holds.
func PrimaryRole(mask int) string {
	for _, r := range rolesByRank {
		if mask&RoleBit(r) != 0 {
			return r
		}
	}
	return RoleStudent
}

// HasRoleSQL is the condition "the account holds role", for Where:
// Where(model.HasRoleSQL, model.RoleBit(role)). It reads the account's
// row, so callers narrow by university (indexed with roles) first.
const HasRoleSQL = "roles & ? <> 0"

// RoleName is the Chinese name of a role shown to users.
func RoleName(role string) string {
	switch role {
	case RoleCadre:
		return "团学干部"
	case RoleStationAdmin:
		return "站点管理员"
	case RoleUniversityAdm:
		return "高校团委管理员"
	case RoleProvinceAdmin:
		return "省级管理员"
	}
	return "青年学生"
}

// User is an account on the platform, optionally bound to one WeChat.
type User struct {
	ID           uint64     `gorm:"primaryKey"`
	Account      string     `gorm:"size:32;not null"`
	AccountKey   string     `gorm:"size:32;not null;uniqueIndex"` // lower-cased: unique regardless of case
	PasswordHash string     `gorm:"size:100;not null"`
	Name         string     `gorm:"size:50;not null;default:''"`
	EntryKey     string     `gorm:"size:32;not null;default:''"`
	UniversityID *uint64    `gorm:"index"`
	Role         string     `gorm:"size:20;not null"`   // the highest of Roles (PrimaryRole)
	Roles        int        `gorm:"not null;default:0"` // the set of roles, bits of RoleBit
	OpenID       *string    `gorm:"column:openid;size:64;uniqueIndex"`
	BoundAt      *time.Time `gorm:""`
	ActivatedAt  *time.Time `gorm:""`
	LastLoginAt  *time.Time `gorm:""`
	Source       string     `gorm:"size:20;not null;default:''"` // "", "import"
	// PasswordChangedAt is the last change or reset of the password:
	// sessions begun before it no longer sign the account in.
	PasswordChangedAt *time.Time `gorm:""`
	// MustChangePassword: the password is a temporary one an admin issued;
	// nothing but changing it (or logging out) is allowed until then.
	MustChangePassword bool `gorm:"not null;default:false"`
	// Nickname is the display name (显示名称) other people see, chosen at
	// activation and changeable in 设置; empty shows DefaultDisplayName.
	// Read it through DisplayName or PublicName, never directly.
	Nickname string `gorm:"column:display_name;size:20;not null;default:''"`
	// ClosedAt: the person closed (注销) the account. The row stays, with
	// its university, roles and dates, so posts, bookings and statistics
	// keep pointing at it; everything personal was cleared then.
	ClosedAt  *time.Time `gorm:""`
	CreatedAt time.Time  `gorm:"not null;index"`
	UpdatedAt time.Time  `gorm:"not null"`
}

// Names shown for an account to other people.
const (
	// DefaultDisplayName is the display name of someone who chose none.
	DefaultDisplayName = "某某同学"
	// ClosedName stands for a closed (注销) account's posts and bookings.
	ClosedName = "已注销用户"
)

// ClosedOpenIDPrefix starts the pseudonym that replaces a closed
// account's openid (privacy.Close): no WeChat user has such an openid.
const ClosedOpenIDPrefix = "closed-"

// Closed reports whether the account was closed (注销). Rows read with a
// Select that leaves out closed_at are recognised by the openid
// pseudonym when they had a WeChat.
func (u User) Closed() bool {
	return u.ClosedAt != nil || (u.OpenID != nil && strings.HasPrefix(*u.OpenID, ClosedOpenIDPrefix))
}

// NameColumns are the users columns DisplayName and PublicName read: the
// Select of a query that only needs to name people.
var NameColumns = []string{"id", "name", "display_name", "role", "roles", "university_id", "closed_at"}

// DisplayName is the name other people see for a student: the one the
// person chose, DefaultDisplayName when none, ClosedName once closed. The
// login account name is never shown to others: it is half of the
// credentials, and often the person's real name in pinyin.
func (u User) DisplayName() string {
	switch {
	case u.ClosedAt != nil:
		return ClosedName
	case u.Nickname != "":
		return u.Nickname
	}
	return DefaultDisplayName
}

// PublicName is how u is named to other people (askers, bookers,
// answerers, alerts). Cadres, station admins and admins act for their
// university under the real name their appointment recorded (users.name),
// as the notice wants; students, and staff without one, by DisplayName.
// A staff account with neither a real name nor a display name (appointed
// by account, never filed an application) is named by its role: 某某同学
// would pass a cadre off as a student.
func (u User) PublicName() string {
	staff := u.HasAny(RoleCadre, RoleStationAdmin, RoleUniversityAdm, RoleProvinceAdmin)
	switch {
	case u.ClosedAt != nil:
		return ClosedName
	case staff && u.Name != "":
		return u.Name
	case staff && u.Nickname == "":
		return RoleName(u.Role)
	}
	return u.DisplayName()
}

// Has reports whether the account holds role. Every account is a student.
func (u User) Has(role string) bool {
	if role == RoleStudent {
		return true
	}
	b := RoleBit(role)
	return b != 0 && u.roleSet()&b != 0
}

// roleSet is Roles; a User built in memory with only Role set (tests,
// benchmarks) holds that one role. Stored rows agree: Role is always
// the highest of Roles, so Roles is 0 only for a student.
func (u User) roleSet() int {
	if u.Roles == 0 {
		return RoleBit(u.Role)
	}
	return u.Roles
}

// BeforeCreate keeps a new row's two role columns in agreement: an account
// created with a role (the province admin's bootstrap, fixtures) holds it.
func (u *User) BeforeCreate(*gorm.DB) error {
	if u.Roles == 0 {
		u.Roles = RoleBit(u.Role)
	}
	u.Role = PrimaryRole(u.roleSet())
	return nil
}

// HasAny reports whether the account holds one of roles.
func (u User) HasAny(roles ...string) bool {
	for _, r := range roles {
		if u.Has(r) {
			return true
		}
	}
	return false
}

// RoleList is the account's roles, highest first; a student's is
// [student].
func (u User) RoleList() []string {
	var out []string
	for _, r := range rolesByRank {
		if u.Has(r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = []string{RoleStudent}
	}
	return out
}

// RoleNames is the Chinese names of the account's roles joined by "、":
// 站点管理员、团学干部.
func (u User) RoleNames() string {
	var b strings.Builder
	for i, r := range u.RoleList() {
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString(RoleName(r))
	}
	return b.String()
}

// Liaison is a university's 联络专员: a vice-secretary of its league
// committee (a full-time teacher) the province deals with. UserID links
// the account, when the person has one: escalations then reach it too.
type Liaison struct {
	UniversityID uint64    `gorm:"primaryKey;autoIncrement:false"`
	RealName     string    `gorm:"size:20;not null"`
	Position     string    `gorm:"size:30;not null"`
	Phone        string    `gorm:"size:11;not null"`
	Email        string    `gorm:"size:100;not null;default:''"`
	UserID       *uint64   `gorm:"index"`
	UpdatedBy    uint64    `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

// LiaisonUsers are the accounts linked as uni's liaison (none or one),
// for the alerts that escalate to the liaison.
func (d *DB) LiaisonUsers(ctx context.Context, uni uint64) ([]User, error) {
	var users []User
	err := d.Conn(ctx).Where("id IN (?)", d.Conn(ctx).Model(&Liaison{}).Select("user_id").
		Where("university_id = ? AND user_id IS NOT NULL", uni)).Find(&users).Error
	return users, err
}

// RoleMask is the bits of roles.
func RoleMask(roles ...string) int {
	m := 0
	for _, r := range roles {
		m |= RoleBit(r)
	}
	return m
}

// WithRoles narrows q (on users) to the accounts holding one of roles. With
// a university it reads that university's accounts through
// idx_user_uni_roles. Without one it is meant for the province admins:
// the highest role is always an account's users.role, so idx_user_role
// finds them; for lower roles it falls back to the set, which reads
// every account.
func WithRoles(q *gorm.DB, uni *uint64, roles ...string) *gorm.DB {
	if uni != nil {
		return q.Where("university_id = ?", *uni).Where(HasRoleSQL, RoleMask(roles...))
	}
	if len(roles) == 1 && roles[0] == RoleProvinceAdmin {
		return q.Where("role = ?", RoleProvinceAdmin)
	}
	return q.Where(HasRoleSQL, RoleMask(roles...))
}
