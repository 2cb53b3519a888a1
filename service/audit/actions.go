package audit

// The action codes: short and stable (records keep them for years and the
// browse filter matches them exactly). Add new ones here with their name.
const (
	ActionCadreApprove      = "cadre.approve"
	ActionCadreReject       = "cadre.reject"
	ActionRoleGrant         = "role.grant"
	ActionRoleRevoke        = "role.revoke"
	ActionPostHide          = "post.hide"
	ActionPostRestore       = "post.restore"
	ActionPostApprove       = "post.approve"
	ActionStationUpdate     = "station.update"
	ActionStationConfirm    = "station.confirm"
	ActionTeamAdd           = "team.add"
	ActionTeamRemove        = "team.remove"
	ActionBookingRespond    = "booking.respond"
	ActionBookingServe      = "booking.serve"
	ActionBookingNoShow     = "booking.no_show"
	ActionBookingRefer      = "booking.refer"
	ActionPasswordReset     = "password.reset"
	ActionPasswordChange    = "password.change"
	ActionPasswordTemporary = "password.temporary"
	ActionRosterImport      = "roster.import"
	ActionRosterAdd         = "roster.add"
	ActionRosterUpdate      = "roster.update"
	ActionRosterLink        = "roster.link"
	ActionRosterLeave       = "roster.leave"
	ActionLiaisonSet        = "liaison.set"
	ActionNoticePublish     = "notice.publish"
	ActionExportPersonal    = "export.personal"
	ActionAuditPurge        = "audit.purge"
	ActionLoginScan         = "login.scan"
	ActionAccountClose      = "account.close"
)

// Actions lists every code with its Chinese name, in the order the
// browse filter offers them.
var Actions = []struct{ Code, Name string }{
	{ActionCadreApprove, "通过干部申请"},
	{ActionCadreReject, "驳回干部申请"},
	{ActionRoleGrant, "任命角色"},
	{ActionRoleRevoke, "撤销角色"},
	{ActionPostHide, "隐藏内容（含审核不通过）"},
	{ActionPostRestore, "恢复内容"},
	{ActionPostApprove, "审核通过"},
	{ActionStationUpdate, "修改服务站资料"},
	{ActionStationConfirm, "确认服务站建成"},
	{ActionTeamAdd, "添加服务站成员"},
	{ActionTeamRemove, "移除服务站成员"},
	{ActionBookingRespond, "处理预约（确认、婉拒、改约）"},
	{ActionBookingServe, "预约服务完成"},
	{ActionBookingNoShow, "预约未到场"},
	{ActionBookingRefer, "转介预约"},
	{ActionPasswordChange, "修改密码"},
	{ActionPasswordReset, "重置密码"},
	{ActionPasswordTemporary, "发放临时密码"},
	{ActionRosterImport, "导入干部名册"},
	{ActionRosterAdd, "名册添加干部"},
	{ActionRosterUpdate, "修改名册信息"},
	{ActionRosterLink, "名册关联账号"},
	{ActionRosterLeave, "干部离任"},
	{ActionLiaisonSet, "设置联络专员"},
	{ActionNoticePublish, "发布通知"},
	{ActionExportPersonal, "导出个人信息"},
	{ActionAuditPurge, "清理过期审计记录"},
	{ActionLoginScan, "管理员扫码登录"},
	{ActionAccountClose, "注销账号"},
}

// ActionName is the Chinese name of code (the code itself if unknown).
func ActionName(code string) string {
	for _, a := range Actions {
		if a.Code == code {
			return a.Name
		}
	}
	return code
}

// KnownAction reports whether code is one of Actions.
func KnownAction(code string) bool {
	for _, a := range Actions {
		if a.Code == code {
			return true
		}
	}
	return false
}
