// English and Simplified Chinese. The language follows the browser unless the user picked one
// (stored in localStorage); every page calls t() so switching re-renders in place.

const STRINGS: Record<string, Record<string, string>> = {
  en: {
    app_title: 'fieldops',
    login: 'Log in', logout: 'Log out', enable_push: 'Enable notifications', email: 'Email', password: 'Password',
    login_failed: 'Login failed', login_offline: 'You are offline: the first login needs a network.',
    online: 'Online', offline: 'Offline', pending: 'pending', sync_now: 'Sync now', syncing: 'Syncing…',
    last_sync: 'Last sync', never: 'never',
    my_jobs: 'My jobs', today: 'Today', upcoming: 'Upcoming', no_jobs: 'No jobs assigned to you.',
    conflicts: 'Conflicts', no_conflicts: 'No conflicts.', dismiss: 'Acknowledge',
    not_synced: 'Not synced', copy_text: 'Copy text', copied: 'Copied',
    back: 'Back', customer: 'Customer', site: 'Site', asset: 'Asset', open_maps: 'Open in maps',
    status: 'Status', priority: 'Priority', sla_respond: 'Respond by', sla_resolve: 'Resolve by',
    breached: 'breached', history: 'History', notes: 'Notes', add_note: 'Add note', note_placeholder: 'Write a note…', note_on_report: "Show on the customer's report", note_for_customer: 'on report',
    photos: 'Photos', add_photo: 'Take photo', uploading: 'waiting for upload', uploaded: 'uploaded',
    parts: 'Parts', add_part: 'Use part', part: 'Part', quantity: 'Quantity', van_stock: 'Van stock', no_stock: 'No van stock synced yet.',
    signature: 'Signature', signer_name: 'Signer name', clear: 'Clear', save_signature: 'Save signature', signed_by: 'Signed by',
    checklist: 'Completion checklist', actions: 'Actions', reason: 'Reason', reason_required: 'A reason is required.',
    a_accept: 'Accept', a_reject: 'Reject', a_start_travel: 'Start travel', a_arrive: 'Arrived', a_start_work: 'Start work',
    a_hold: 'Put on hold', a_resume: 'Resume', a_complete: 'Complete',
    s_new: 'New', s_assigned: 'Assigned', s_accepted: 'Accepted', s_en_route: 'En route', s_on_site: 'On site',
    s_in_progress: 'In progress', s_on_hold: 'On hold', s_completed: 'Completed', s_closed: 'Closed', s_cancelled: 'Cancelled',
    c_note: 'A note is added', c_photo: 'At least one photo', c_signature: 'Customer signature', c_parts: 'Parts recorded',
    queued: 'queued', conflict: 'conflict', rejected: 'rejected', km: 'km', language: 'Language',
    location_on: 'Sharing location while en route',
    no_parts: 'No parts used', sign_complete: 'Sign & complete job',
    n_h: '{n} h', n_min: '{n} min', due_in: 'in {t}', overdue: '{t} overdue', just_now: 'just now',
    conflicts_one: '{n} conflict', conflicts_other: '{n} conflicts', missing_title: 'Needed before completing',
    m_ticket_transition: 'Status change', m_note_add: 'Note', m_note_edit: 'Note edit', m_photo_register: 'Photo',
    m_part_consume: 'Part used', m_part_none_used: 'No parts used', m_signoff_submit: 'Signature',
    m_ticket_update: 'Job edit', m_location_report: 'Location', m_other: 'Change',
    k_evidence_after_reassign: 'The job was given to someone else; your work was kept for it.',
    k_evidence_after_cancel: 'The job was cancelled; your work was kept for it.',
    k_invalid_transition: 'The job had moved on; this status change was not applied.',
    k_stale_version: 'The job changed on the server first.',
    k_reassigned: 'The job was given to someone else before this arrived.', k_cancelled: 'The job was cancelled before this arrived.',
    k_server_owned_field: 'Only the office can change this field.', k_second_signature: 'The job was already signed; this signature was kept for the office.',
    r_keep_server: 'the server version was kept', r_apply_engineer: 'your change was applied', r_acknowledged: 'seen by the dispatcher',
    sla_at_risk: 'SLA at risk', sla_breached: 'SLA breached', via_sync: 'from a phone', via_api: '', via_system: 'automatic',
    // customer page
    report_title: 'Report a fault', what_wrong: 'What is wrong?', your_name: 'Your name', phone: 'Phone',
    photos_optional: 'Photos (optional, up to 3)', send: 'Send report', sending: 'Sending…',
    contact_needed: 'Please give a phone number or an email address.', describe_needed: 'Please describe the problem.',
    thanks: 'Thank you — your report was received.', ticket_number: 'Ticket number', track: 'Track this repair',
    unknown_qr: 'This QR code is not known. Please check the label or contact the service desk.',
    rate_limited: 'Too many reports from here. Please try again in {s} seconds.',
    tracking: 'Repair status', eta: 'Expected arrival', updated: 'Updated', service_report: 'Service report',
    rate_us: 'How did we do?', comment: 'Comment', send_rating: 'Send rating', rated: 'Thank you for your rating.',
    star_label: '{n} of 5 stars', choose_score: 'Please choose 1 to 5 stars first.',
    unknown_tracking: 'This tracking link is not known.', error: 'Something went wrong',
    // console
    console_title: 'Dispatch', tickets: 'Tickets', filter_status: 'Status', filter_priority: 'Priority', all: 'All',
    candidates: 'Candidates', assign: 'Assign', override: 'Override with reason', reassign: 'Reassign',
    eligible: 'eligible', not_eligible: 'not eligible', score: 'score', optimize: 'Optimize (preview)',
    apply_plan: 'Apply plan', plan: 'Plan', engineers: 'Engineers', refresh: 'Refresh', assigned_to: 'Assigned to',
    select_ticket: 'Select a ticket on the map or in the list.', resolve: 'Resolve', resolution: 'Resolution',
    // console: SLA deadlines, candidates in words, the batch plan, conflicts
    d_min: '{m} min', d_h: '{h} h', d_h_min: '{h} h {m} min',
    sla_respond_by: 'respond by', sla_resolve_by: 'resolve by', sla_respond_by_long: 'Respond by', sla_resolve_by_long: 'Resolve by',
    r_rejected: 'rejected this ticket before', r_status_off_duty: 'off duty', r_off_shift: 'off shift',
    r_not_in_region: 'outside their regions', r_at_capacity: 'no free job slot', r_too_far: 'too far away',
    r_outside_all_regions: 'outside every region', r_shift: 'nobody qualified can reach and finish it within their shift',
    r_capacity: "qualified engineers' shifts or job slots are full", r_missing_skill: 'skill {skill} missing',
    r_no_candidate: 'nobody could take it', r_needs_dispatch: 'needs dispatching', r_pinned: 'pinned',
    w_drive: '{d} drive', w_free_now: 'free now', w_free_in: 'free in {d}', w_open_job: '{n} open job', w_open_jobs: '{n} open jobs',
    w_skills_ok: 'skills ✓', w_would_be_late: 'would miss the SLA', details: 'Details', hide_details: 'Hide details', open: 'open',
    tl_title: "The day's timeline", tl_day: 'Day', tl_region: 'Region', tl_skill: 'Skill', tl_engineer: 'Engineer', tl_status: 'Status',
    tl_search: 'Search ticket or engineer', tl_unassigned: 'Unassigned', tl_travel: '{m} min travel', tl_sla: 'SLA',
    tl_plan_stop: 'Plan stop {n}: {number} at {at}', tl_not_best: 'not the recommended engineer',
    tl_reason_title: 'Reason for this assignment', tl_eta_by_server: 'ETAs are set by dispatch; drop a job on another row to assign it.',
    cancel: 'Cancel', tl_sla_ok: 'on time', tl_sla_at_risk: 'at risk', tl_sla_breached: 'breached',
    plan_day: 'Plan for', plan_day_hint: "Empty: plan from now; a date: that day's shifts", plan_now: 'Plan (from now)', plan_for: 'Plan for {day}',
    plan_applied: 'Plan applied: {moves} moved, {unchanged} unchanged', plan_changed: 'Changed since the preview',
    ch_changed: 'changed', ch_added: 'added', ch_removed: 'removed', preview_again: 'Preview again',
    plan_timeout: 'The plan is taking too long', planning: 'Planning…', applying: 'Applying…',
    sla_late_by: '{d} late', sla_on_time: 'on time', pinned: 'Pinned', unpin: 'unpin', unpinned: 'unpinned: the plan may move it',
    pin_accepted: 'accepted by the engineer', pin_en_route: 'engineer on the way', pin_flag: 'pinned by a dispatcher',
    pin_manual: 'assigned by a person', pin_override: 'a person overrode the recommendation',
    nobody: 'unassigned', stays: 'stays', keeps: 'stays with {name}',
    n_moves: 'moves', n_unchanged: 'unchanged', n_pinned: 'pinned', n_unassigned: 'not planned', n_late: 'late',
    plan_empty: 'Nothing to plan.', not_planned: 'Not planned',
    res_keep_server: "Keep the server's value", res_apply_engineer: "Apply the engineer's change", res_acknowledged: 'Acknowledge',
    conflicts_unavailable: 'Conflicts could not be loaded',
  },
  'zh-CN': {
    app_title: 'fieldops',
    login: '登录', logout: '退出', enable_push: '开启通知', email: '邮箱', password: '密码',
    login_failed: '登录失败', login_offline: '当前离线：首次登录需要网络。',
    online: '在线', offline: '离线', pending: '待同步', sync_now: '立即同步', syncing: '同步中…',
    last_sync: '上次同步', never: '从未',
    my_jobs: '我的工单', today: '今天', upcoming: '即将进行', no_jobs: '没有分配给您的工单。',
    conflicts: '冲突', no_conflicts: '没有冲突。', dismiss: '知道了',
    not_synced: '未同步', copy_text: '复制文本', copied: '已复制',
    back: '返回', customer: '客户', site: '地点', asset: '设备', open_maps: '在地图中打开',
    status: '状态', priority: '优先级', sla_respond: '响应期限', sla_resolve: '解决期限',
    breached: '已超时', history: '历史', notes: '备注', add_note: '添加备注', note_placeholder: '输入备注…', note_on_report: '显示在客户的服务报告上', note_for_customer: '报告可见',
    photos: '照片', add_photo: '拍照', uploading: '等待上传', uploaded: '已上传',
    parts: '备件', add_part: '使用备件', part: '备件', quantity: '数量', van_stock: '车载库存', no_stock: '尚未同步车载库存。',
    signature: '签名', signer_name: '签字人姓名', clear: '清除', save_signature: '保存签名', signed_by: '签字人',
    checklist: '完工检查清单', actions: '操作', reason: '原因', reason_required: '必须填写原因。',
    a_accept: '接受', a_reject: '拒绝', a_start_travel: '出发', a_arrive: '已到达', a_start_work: '开始工作',
    a_hold: '暂停', a_resume: '继续', a_complete: '完成',
    s_new: '新建', s_assigned: '已分配', s_accepted: '已接受', s_en_route: '在途', s_on_site: '已到场',
    s_in_progress: '进行中', s_on_hold: '暂停', s_completed: '已完成', s_closed: '已关闭', s_cancelled: '已取消',
    c_note: '已添加备注', c_photo: '至少一张照片', c_signature: '客户签名', c_parts: '已记录备件',
    queued: '排队中', conflict: '冲突', rejected: '被拒绝', km: '公里', language: '语言',
    location_on: '在途中共享位置',
    no_parts: '未使用备件', sign_complete: '签名并完成工单',
    n_h: '{n} 小时', n_min: '{n} 分钟', due_in: '剩余 {t}', overdue: '已超时 {t}', just_now: '刚刚',
    conflicts_other: '{n} 个冲突', missing_title: '完工前还需要',
    m_ticket_transition: '状态变更', m_note_add: '备注', m_note_edit: '修改备注', m_photo_register: '照片',
    m_part_consume: '使用备件', m_part_none_used: '未使用备件', m_signoff_submit: '签名',
    m_ticket_update: '修改工单', m_location_report: '位置', m_other: '更改',
    k_evidence_after_reassign: '工单已改派给他人；您的记录已保留在工单上。',
    k_evidence_after_cancel: '工单已取消；您的记录已保留在工单上。',
    k_invalid_transition: '工单状态已变化；此状态变更未生效。',
    k_stale_version: '服务器上的工单已先被修改。',
    k_reassigned: '此操作到达前工单已改派给他人。', k_cancelled: '此操作到达前工单已取消。',
    k_server_owned_field: '此字段只能由办公室修改。', k_second_signature: '工单已有签名；此签名已保留供办公室查看。',
    r_keep_server: '保留了服务器上的版本', r_apply_engineer: '已应用您的修改', r_acknowledged: '调度员已查看',
    sla_at_risk: 'SLA 有风险', sla_breached: 'SLA 已超时', via_sync: '来自手机', via_api: '', via_system: '自动',
    report_title: '报修', what_wrong: '出了什么问题？', your_name: '您的姓名', phone: '电话',
    photos_optional: '照片（可选，最多3张）', send: '提交报修', sending: '提交中…',
    contact_needed: '请填写电话或邮箱。', describe_needed: '请描述问题。',
    thanks: '谢谢，我们已收到您的报修。', ticket_number: '工单号', track: '查看维修进度',
    unknown_qr: '无法识别此二维码，请检查标签或联系服务台。',
    rate_limited: '提交过于频繁，请在 {s} 秒后重试。',
    tracking: '维修进度', eta: '预计到达', updated: '更新于', service_report: '服务报告',
    rate_us: '请评价本次服务', comment: '评论', send_rating: '提交评价', rated: '感谢您的评价。',
    star_label: '{n} 星（满分 5 星）', choose_score: '请先选择 1 到 5 星。',
    unknown_tracking: '无法识别此跟踪链接。', error: '出错了',
    console_title: '调度', tickets: '工单', filter_status: '状态', filter_priority: '优先级', all: '全部',
    candidates: '候选工程师', assign: '分配', override: '改派并说明原因', reassign: '重新分配',
    eligible: '符合条件', not_eligible: '不符合条件', score: '得分', optimize: '优化（预览）',
    apply_plan: '应用方案', plan: '方案', engineers: '工程师', refresh: '刷新', assigned_to: '分配给',
    select_ticket: '在地图或列表中选择工单。', resolve: '处理', resolution: '处理方式',
    d_min: '{m} 分钟', d_h: '{h} 小时', d_h_min: '{h} 小时 {m} 分钟',
    sla_respond_by: '响应期限', sla_resolve_by: '解决期限', sla_respond_by_long: '响应期限', sla_resolve_by_long: '解决期限',
    r_rejected: '曾拒绝此工单', r_status_off_duty: '休息中', r_off_shift: '不在班次内',
    r_not_in_region: '不在其负责区域', r_at_capacity: '工单已满', r_too_far: '距离太远',
    r_outside_all_regions: '不在任何区域内', r_shift: '没有合格的工程师能在班次内到达并完成',
    r_capacity: '合格工程师的班次或工单名额已满', r_missing_skill: '缺少技能 {skill}',
    r_no_candidate: '无人可接', r_needs_dispatch: '需要调度', r_pinned: '已锁定',
    w_drive: '{d}车程', w_free_now: '现在有空', w_free_in: '{d}后有空', w_open_job: '{n} 个未完成工单', w_open_jobs: '{n} 个未完成工单',
    w_skills_ok: '技能 ✓', w_would_be_late: '将超出 SLA', details: '详情', hide_details: '收起详情', open: '未完成',
    tl_title: '当日时间线', tl_day: '日期', tl_region: '区域', tl_skill: '技能', tl_engineer: '工程师', tl_status: '状态',
    tl_search: '搜索工单或工程师', tl_unassigned: '未分配', tl_travel: '路程 {m} 分钟', tl_sla: 'SLA',
    tl_plan_stop: '方案第 {n} 站：{number}，{at}', tl_not_best: '不是推荐的工程师',
    tl_reason_title: '此次分配的原因', tl_eta_by_server: '预计到达时间由调度计算；把工单拖到另一行即可分配。',
    cancel: '取消', tl_sla_ok: '按时', tl_sla_at_risk: '有风险', tl_sla_breached: '已超时',
    plan_day: '计划日期', plan_day_hint: '留空：从现在开始；选择日期：当天的班次', plan_now: '方案（从现在起）', plan_for: '{day} 的方案',
    plan_applied: '方案已应用：{moves} 个改派，{unchanged} 个不变', plan_changed: '预览后已有变化',
    ch_changed: '已变更', ch_added: '新增', ch_removed: '已移除', preview_again: '重新预览',
    plan_timeout: '方案计算超时', planning: '计算中…', applying: '应用中…',
    sla_late_by: '超时 {d}', sla_on_time: '按时', pinned: '已锁定', unpin: '解除锁定', unpinned: '已解除锁定：方案可改派',
    pin_accepted: '工程师已接受', pin_en_route: '工程师在途', pin_flag: '调度员已锁定',
    pin_manual: '人工分配', pin_override: '人工改派（未采用推荐）',
    nobody: '未分配', stays: '不变', keeps: '仍由 {name} 负责',
    n_moves: '个改派', n_unchanged: '个不变', n_pinned: '个锁定', n_unassigned: '个未排入', n_late: '个超时',
    plan_empty: '没有可计划的工单。', not_planned: '未排入',
    res_keep_server: '保留服务器的值', res_apply_engineer: '采用工程师的修改', res_acknowledged: '知悉',
    conflicts_unavailable: '无法加载冲突',
  },
};

export type Lang = 'en' | 'zh-CN';
export const LANGS = Object.keys(STRINGS) as Lang[];
const KEY = 'fieldops.lang';

export function pickLanguage(preferred: readonly string[] = globalThis.navigator?.languages || []): Lang {
  const stored = globalThis.localStorage?.getItem(KEY);
  if (stored && STRINGS[stored]) return stored as Lang;
  for (const tag of preferred) if (tag.toLowerCase().startsWith('zh')) return 'zh-CN';
  return 'en';
}

let lang: Lang = 'en';
export function setLanguage(next: string, persist = true): Lang {
  lang = STRINGS[next] ? (next as Lang) : 'en';
  if (persist) globalThis.localStorage?.setItem(KEY, lang);
  if (globalThis.document) document.documentElement.lang = lang;
  return lang;
}
export const currentLanguage = (): Lang => lang;

export function t(key: string, vars?: Record<string, string | number>): string {
  let s = STRINGS[lang]?.[key] ?? STRINGS.en?.[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

setLanguage(pickLanguage(), false);
