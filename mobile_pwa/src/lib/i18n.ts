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
    select_ticket: 'Select a ticket on the map or in the list.', resolve: 'Resolve',
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
    select_ticket: '在地图或列表中选择工单。', resolve: '处理',
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
