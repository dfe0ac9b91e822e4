// The Insights screen's words, en and zh-CN. They live in the screen's own chunk (loaded with
// it), not in lib/i18n.ts, so the console's first load does not carry them; the language is
// the console's (``currentLanguage``), and a missing key falls back to English.
import { currentLanguage } from '../../lib/i18n.js';

const WORDS: Record<string, Record<string, string>> = {
  en: {
    title: 'Insights', back: 'Back to the map', period: 'Period', last_n: 'Last {n} days', custom: 'Custom',
    from: 'From', to: 'To', apply: 'Show', bad_period: 'Choose a start and end date, at most 366 days apart.',
    region: 'Region', engineer: 'Engineer', priority: 'Priority', all: 'All', group_by: 'Group by',
    g_priority: 'Priority', g_region: 'Region', g_engineer: 'Engineer',
    loading: 'Loading…', failed: 'Could not load the reports: {message}',
    vs_previous: 'vs previous {n} days: {delta}', no_previous: 'nothing to compare',
    parts: '{n} of {of} due', open_list: 'Show the tickets behind {label}',
    k_respond_met: 'Respond-by met', k_resolve_met: 'Resolve-by met', k_at_risk: 'At risk', k_breached: 'Breached',
    k_tickets: 'Tickets created', k_backlog: 'Open backlog',
    k_to_arrive_median: 'Time to arrive (median)', k_to_arrive_p90: 'Time to arrive (p90)',
    k_to_complete_median: 'Time to complete (median)', k_to_complete_p90: 'Time to complete (p90)',
    k_to_assign_median: 'Time to assign (median)', k_to_accept_median: 'Time to accept (median)',
    c_trend: 'SLA met by {bucket}', c_breakdown: 'Tickets and breaches by {group}', c_backlog: 'Open backlog by status and age',
    b_day: 'day', b_week: 'week', respond: 'Respond-by met %', resolve: 'Resolve-by met %',
    tickets: 'Tickets', breached: 'Breached', status: 'Status', total: 'Total',
    a_lt_4h: '< 4 h', a_lt_1d: '4 h – 1 d', a_lt_3d: '1–3 d', a_lt_7d: '3–7 d', a_older: '7 d or more',
    table: 'Data table', summary_trend: '{title}: {n} points from {first} to {last}; respond-by {r}, resolve-by {s} in the last one.',
    summary_breakdown: '{title}: {n} groups; most tickets in {top} ({count}).',
    summary_backlog: '{title}: {total} open tickets in {n} statuses.', summary_empty: '{title}: no data in this period.',
    unrouted: 'No region', unassigned: 'Unassigned', none: '—',
    drill_title: '{label}: {n} tickets', drill_more: 'Showing the first {shown} of {n}.', drill_empty: 'No tickets.',
    close: 'Close', s_new: 'New', s_assigned: 'Assigned', s_accepted: 'Accepted', s_en_route: 'En route',
    s_on_site: 'On site', s_in_progress: 'In progress', s_on_hold: 'On hold', s_completed: 'Completed',
    s_closed: 'Closed', s_cancelled: 'Cancelled', kpis: 'Key figures', charts: 'Charts',
  },
  'zh-CN': {
    title: '数据洞察', back: '返回地图', period: '时间段', last_n: '最近 {n} 天', custom: '自定义',
    from: '开始', to: '结束', apply: '查看', bad_period: '请选择开始和结束日期，间隔不超过 366 天。',
    region: '区域', engineer: '工程师', priority: '优先级', all: '全部', group_by: '分组',
    g_priority: '优先级', g_region: '区域', g_engineer: '工程师',
    loading: '加载中…', failed: '无法加载报表：{message}',
    vs_previous: '与前 {n} 天相比：{delta}', no_previous: '无可比较数据',
    parts: '{of} 个到期中 {n} 个达标', open_list: '查看 {label} 对应的工单',
    k_respond_met: '响应达标率', k_resolve_met: '解决达标率', k_at_risk: '有风险', k_breached: '已超时',
    k_tickets: '新建工单', k_backlog: '未完成工单',
    k_to_arrive_median: '到场时间（中位数）', k_to_arrive_p90: '到场时间（P90）',
    k_to_complete_median: '完成时间（中位数）', k_to_complete_p90: '完成时间（P90）',
    k_to_assign_median: '分配时间（中位数）', k_to_accept_median: '接单时间（中位数）',
    c_trend: '按{bucket}的 SLA 达标率', c_breakdown: '按{group}的工单与超时', c_backlog: '未完成工单（按状态和时长）',
    b_day: '天', b_week: '周', respond: '响应达标率 %', resolve: '解决达标率 %',
    tickets: '工单', breached: '已超时', status: '状态', total: '合计',
    a_lt_4h: '< 4 小时', a_lt_1d: '4 小时–1 天', a_lt_3d: '1–3 天', a_lt_7d: '3–7 天', a_older: '7 天以上',
    table: '数据表', summary_trend: '{title}：{first} 至 {last} 共 {n} 个点；最后一个点响应 {r}，解决 {s}。',
    summary_breakdown: '{title}：{n} 组；工单最多的是 {top}（{count}）。',
    summary_backlog: '{title}：{n} 种状态共 {total} 个未完成工单。', summary_empty: '{title}：此时间段没有数据。',
    unrouted: '无区域', unassigned: '未分配', none: '—',
    drill_title: '{label}：{n} 个工单', drill_more: '显示前 {shown} 个，共 {n} 个。', drill_empty: '没有工单。',
    close: '关闭', s_new: '新建', s_assigned: '已分配', s_accepted: '已接单', s_en_route: '在途',
    s_on_site: '已到场', s_in_progress: '处理中', s_on_hold: '暂停', s_completed: '已完成',
    s_closed: '已关闭', s_cancelled: '已取消', kpis: '关键指标', charts: '图表',
  },
};

export function w(key: string, vars?: Record<string, string | number>): string {
  let s = WORDS[currentLanguage()]?.[key] ?? WORDS.en?.[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Every key has both languages (checked by test/insights.test.ts). */
export const wordKeys = (lang: string): string[] => Object.keys(WORDS[lang] || {});
