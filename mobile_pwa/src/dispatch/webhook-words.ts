// The Webhooks screen's words (pure: no DOM, no API), so Vitest checks them in both languages.
import { t } from '../lib/i18n.js';
import type { components } from '../lib/api.js';

type Subscription = components['schemas']['SubscriptionOut'];

/** Every key the screen says, for the test that both languages have them. */
export const WEBHOOK_WORDS = [
  'webhooks', 'wh_title', 'wh_new', 'wh_url', 'wh_description', 'wh_events', 'wh_create', 'wh_pick_event',
  'wh_secret_once', 'wh_active', 'wh_disabled', 'wh_failures', 'wh_off', 'wh_on', 'wh_delete', 'wh_confirm_delete',
  'wh_log', 'wh_pick_log', 'wh_none', 'wh_no_deliveries', 'wh_redeliver', 'wh_redeliver_failed', 'wh_redelivered',
  'wh_queued', 'wh_time', 'wh_event', 'wh_status', 'wh_attempts', 'wh_http', 'wh_latency', 'wh_response', 'wh_ms',
  'wh_next', 'wh_ds_pending', 'wh_ds_sending', 'wh_ds_succeeded', 'wh_ds_failed', 'status', 'actions', 'refresh',
] as const;

/** An event type in the console's language (``ticket.created`` -> ``wh_ev_ticket_created``);
 * a type this console does not know yet is shown as the API names it. */
export const eventWords = (type: string): string => {
  const key = `wh_ev_${type.replace(/\./g, '_')}`;
  const said = t(key);
  return said === key ? type : said;
};

/** What a subscription's state is, in words: on (with its run of failures), or off and why. */
export function subscriptionWords(s: Pick<Subscription, 'active' | 'disabled_reason' | 'consecutive_failures'>): string {
  if (!s.active) return s.disabled_reason ? `${t('wh_disabled')}: ${s.disabled_reason}` : t('wh_disabled');
  return s.consecutive_failures ? `${t('wh_active')} · ${t('wh_failures', { n: s.consecutive_failures })}` : t('wh_active');
}

/** At most ``max`` characters of a response excerpt, on one line. */
export function excerpt(text: string | null | undefined, max = 120): string {
  const line = (text || '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
