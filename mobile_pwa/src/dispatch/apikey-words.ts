// The API keys screen's words (pure: no DOM, no API), so Vitest checks them in both languages.
import { t } from '../lib/i18n.js';
import type { components } from '../lib/api.js';

type ApiKey = components['schemas']['ApiKeyOut'];
export type Scope = ApiKey['scopes'][number];

/** Every key the screen says, for the test that both languages have them. */
export const APIKEY_WORDS = [
  'api_keys', 'ak_title', 'ak_new', 'ak_name', 'ak_scopes', 'ak_rate', 'ak_rate_hint', 'ak_create', 'ak_pick_scope',
  'ak_key_once', 'ak_none', 'ak_prefix', 'ak_last_used', 'ak_never', 'ak_created', 'ak_revoke', 'ak_confirm_revoke',
  'ak_active', 'ak_revoked', 'ak_per_minute', 'ak_default_rate', 'status', 'actions', 'refresh',
] as const;

/** The scopes the console offers, in the order of the form (the API's own list of values). */
export const SCOPES: readonly Scope[] = [
  'tickets:read', 'tickets:write', 'assets:read', 'assets:write', 'dispatch:read', 'dispatch:write',
  'parts:read', 'parts:write', 'timesheets:read', 'timesheets:write', 'reports:read', 'webhooks:admin',
];

/** A scope in the console's language (``tickets:write`` -> area and access); an unknown scope
 * is shown as the API names it. */
export function scopeWords(scope: string): string {
  const [area, access] = scope.split(':');
  const areaKey = `ak_area_${area}`;
  const accessKey = `ak_access_${access}`;
  const a = t(areaKey);
  const b = t(accessKey);
  return a === areaKey || b === accessKey ? scope : `${a}: ${b}`;
}

/** A key's state: on, or revoked (and when). */
export function keyState(k: Pick<ApiKey, 'active' | 'revoked_at'>, when: (iso: string) => string): string {
  return k.active || !k.revoked_at ? t('ak_active') : `${t('ak_revoked')} ${when(k.revoked_at)}`;
}
