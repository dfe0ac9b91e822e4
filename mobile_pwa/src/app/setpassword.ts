// The engineer app's set-password page (``#/set-password/<token>``): an engineer created by a
// bulk import has no password and gets this link by e-mail or from an admin
// (docs/security.md). The token stays in the fragment (never sent to a server as part of a
// URL); the page sends it once with the chosen password to POST /api/v1/auth/set-password.
// The server judges everything (length, a used or expired link); the page only says so.
import { HttpError } from '../lib/api.js';
import { h, live } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

export const SET_PASSWORD_ROUTE = '/set-password/';

/** The token of a ``/set-password/<token>`` route, or null for any other route. */
export function setupToken(route: string): string | null {
  if (!route.startsWith(SET_PASSWORD_ROUTE)) return null;
  const token = route.slice(SET_PASSWORD_ROUTE.length).split(/[?/]/)[0] ?? '';
  return token ? decodeURIComponent(token) : null;
}

type Post = (path: string, body: unknown, opts: { retry: boolean }) => Promise<unknown>;

/** The form; ``done`` runs once the password is set (the app then shows its login). */
export function setPasswordScreen(token: string, post: Post, done: () => void): HTMLElement {
  const password = h('input', { type: 'password', id: 'setpw-password', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', id: 'setpw-again', autocomplete: 'new-password', required: true, minlength: 8 });
  const msg = h('p.error', { id: 'setpw-msg', role: 'alert' });
  return h('form.card.login', {
    id: 'setpw-form',
    onsubmit: async (e: Event) => {
      e.preventDefault();
      if (live(password).value !== live(again).value) {
        live(msg).textContent = t('setpw_mismatch');
        return;
      }
      try {
        await post('/api/v1/auth/set-password', { token, password: live(password).value }, { retry: false });
        done();
      } catch (err) {
        live(msg).textContent = err instanceof HttpError ? `${t('setpw_failed')}: ${err.message}` : t('login_offline');
      }
    },
  },
  h('h2', t('setpw_title')),
  h('p.muted', t('setpw_hint')),
  h('label', { for: 'setpw-password' }, t('setpw_new')), password,
  h('label', { for: 'setpw-again' }, t('setpw_again')), again,
  h('p', h('button', { type: 'submit', id: 'setpw-btn' }, t('setpw_save'))),
  msg);
}
