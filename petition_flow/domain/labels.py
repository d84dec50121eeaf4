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
