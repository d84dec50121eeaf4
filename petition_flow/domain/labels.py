"""The Chinese label of every audit action, once: the audit log page, its filter, the case
history and the API all read this table (a test fails when code writes an action it lacks).

Workflow states, triggers, clocks and warning levels take their labels from the workflow
YAML (domain/levels.py holds the defaults of the levels); roles from domain/roles.py.
"""

from __future__ import annotations

AUDIT_ACTIONS = {
    # Cases
    "case_registered": "登记信访事项",
    "transition": "办理操作",
    "responsible_unit_changed": "承办单位变更",
    "first_handler_recorded": "确定首办单位",
    "case_sent_down": "交办、转送至县（区）",
    "major_urgent_reported": "向市级报告重大紧急事项",
    "notice_issued": "出具文书",
    "notice_pdf_rendered": "生成文书PDF存档",
    "notice_text_changed": "修改本县（区）文书文本",
    "notice_text_reset": "恢复文书默认文本",
    "petitioner_details_revealed": "查看信访人完整信息",
    "accused_recorded": "登记被检举控告对象",
    "accused_changed": "变更被检举控告对象",
    "recusal_declared": "登记回避",
    "attachment_added": "上传附件",
    "attachment_downloaded": "下载附件",
    "case_note_added": "添加内部备注",
    "handler_assigned": "指派承办人",
    # The petitioner's own pages
    "public_query_opened": "信访人凭查询码查询办理进度",
    "public_query_failed": "查询码核对失败",
    "query_code_reissued": "重新生成查询码",
    "online_petition_received": "收到网上信访",
    "petitioner_evaluated": "信访人网上评价",
    "followup_task_opened": "不满意，发出回访任务",
    "petitioner_request_received": "收到网上请求",
    # Deadlines
    "deadline_set": "开始计算期限",
    "deadline_stopped": "期限停止计算",
    "deadline_paused": "期限暂停计算",
    "deadline_recomputed": "重新计算期限",
    # Warnings, supervision and accountability
    "alert_raised": "发出预警",
    "alert_acknowledged": "确认预警",
    "alert_superseded": "预警因期限变更失效",
    "digest_sent": "发送督办日报",
    "supervision_order_issued": "下发督办单",
    "supervision_order_replied": "书面回复督办单",
    "supervision_order_closed": "办结督办单",
    "supervision_order_returned": "退回督办单",
    "supervision_order_retargeted": "督办单随事项移交新承办单位",
    "accountability_recorded": "生成追责问责记录",
    "accountability_confirmed": "认定追责问责",
    "accountability_dismissed": "不予追责问责",
    # Accounts and sign-in
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录尝试过频被拒",
    "login_refused": "停用账号登录被拒",
    "logout": "退出登录",
    "session_expired": "会话超时结束",
    "session_ended": "本人结束会话",
    "forced_logout": "强制下线",
    "reauth_failed": "身份复核失败",
    "reauth_throttled": "身份复核过频被拒",
    "account_locked": "账号锁定",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "contact_email_changed": "修改联系邮箱",
    "user_created": "新建用户",
    "user_unlocked": "解除账号登录限制",
    "users_listed": "列出用户账号",
    "organisation_imported": "导入组织机构文件",
    "user_activated": "启用用户",
    "user_deactivated": "停用用户",
    "api_token_created": "创建接口令牌",
    "api_token_revoked": "吊销接口令牌",
    # Organisation, calendar, system
    "unit_created": "新建单位",
    "unit_activated": "启用单位",
    "unit_deactivated": "停用单位",
    "calendar_imported": "导入节假日安排",
    "exported": "导出数据",
    "scheduler_lease_taken": "定时任务接管运行",
    "audit_chain_keyed": "审计链启用密钥校验",
    "backup_restored_with_rollback": "确认回退后恢复备份",
}


def audit_label(action: str) -> str:
    """The label of an action; an action from a newer version reads as itself, not as blank."""
    return AUDIT_ACTIONS.get(action, action)


# What an audit entry's details say, key by key (the audit page shows them under these names;
# keys not listed here are technical — hashes, ids, versions — and are not shown).
DETAIL_FIELDS = {
    "case_no": "信访件编号",
    "channel": "信访形式",
    "received_at": "收到时间",
    "petitioners": "信访人数",
    "collective": "集体访",
    "repeat_reason": "重复信访说明",
    "username": "用户",
    "role": "角色",
    "unit_id": "单位",
    "user_id": "人员",
    "target_unit_id": "被督办单位",
    "from_unit_id": "原单位",
    "to_unit_id": "新单位",
    "order_id": "督办单",
    "record_id": "追责问责记录",
    "level": "预警级别",
    "clock": "期限",
    "due_date": "截止日期",
    "old_due_date": "原截止日期",
    "reached_at": "达到级别时间",
    "paused_on": "暂停日期",
    "article": "依据",
    "ground": "事由",
    "reason": "理由",
    "note": "意见",
    "requirements": "督办要求",
    "listed": "挂牌督办",
    "on_time": "按期回复",
    "sessions_ended": "结束的登录会话",
    "sessions": "结束的登录会话",
    "wait_seconds": "须等待（秒）",
    "remote_addr": "来源地址",
    "address": "来源地址",
    "year": "年度",
    "holidays": "放假天数",
    "workdays": "调休上班天数",
    "source": "来源",
    "what": "导出内容",
    "format": "格式",
    "day": "日期",
    "name": "名称",
    "code": "代码",
    "region": "县区",
    "email": "联系邮箱",
    "kind": "类型",
    "unit_rating": "对承办单位的评价",
    "bureau_rating": "对信访工作机构的评价",
    "repeat_candidates": "疑似重复信访",
    "extension_days": "延期天数",
    "version": "期限次数",
    "alerts": "失效的预警",
}

# Coded values that details carry, by meaning: why a deadline or a unit changed, what a
# session end or an export was, and the like.
DETAIL_VALUES = {
    # deadlines
    "state_left": "事项离开该期限计时的环节",
    "extended": "批准延期",
    "calendar_imported": "导入节假日安排",
    "resumed": "暂停结束，恢复计算",
    # responsible unit
    "transferred": "转送交办",
    "handled_by_actor_unit": "由本单位直接办理",
    "handed_over": "移交",
    "returned": "同意退回",
    # accounts and sessions
    "inactive": "账号已停用",
    "idle": "长时间未操作",
    "absolute": "超过最长登录时长",
    "password_change": "修改密码",
    # exports
    "cases": "信访事项清单",
    "audit_log": "操作日志",
    "csv": "CSV",
    "xlsx": "Excel（XLSX）",
    # accountability
    "statutory": "违反法定期限",
    "local_limit": "超过本地限时办结期限",
    # ratings
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    # petitioner requests
    "request_review": "复查",
    "request_recheck": "复核",
}


def detail_value(value) -> str:
    """A coded detail value in Chinese; a code this table lacks reads as itself."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return DETAIL_VALUES.get(str(value), str(value))
