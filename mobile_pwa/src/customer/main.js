// Customer page: /r/<qr_token> shows the fault-report form; /t/<tracking_token> (or ?t=)
// shows tracking and, after completion, the rating form. Public API only, no login.
// The server sends this page with its no-JS content (the same form and tracking view as plain
// HTML, backend/public/templates) inside #root; rendering here replaces it.

import './style.css';
import { createApi, HttpError } from '../lib/api.js';
import { fmtTime, h, mount, uuid } from '../lib/dom.js';
import { resizeImage } from '../lib/image.js';
import { currentLanguage, setLanguage, t } from '../lib/i18n.js';

const root = document.getElementById('root');
const api = createApi();
const MAX_PHOTOS = 3;
const TRACK_POLL_MS = 15_000;

function route() {
  const params = new URLSearchParams(location.search);
  const m = location.pathname.match(/^\/(r|t)\/([^/]+)/);
  if (params.get('t')) return { kind: 't', token: params.get('t') };
  if (m) return { kind: m[1], token: decodeURIComponent(m[2]) };
  return { kind: null };
}

function langSwitch(rerender) {
  const other = currentLanguage() === 'en' ? 'zh-CN' : 'en';
  return h('div.lang', h('button', { id: 'lang', onclick: () => { setLanguage(other); rerender(); } }, other === 'en' ? 'English' : '中文'));
}

function errorText(err) {
  if (err instanceof HttpError && err.status === 429) {
    const s = err.headers?.get('Retry-After') || '60';
    return t('rate_limited', { s });
  }
  if (err instanceof HttpError && err.status === 422 && err.body?.errors) {
    const errs = err.body.errors.json || err.body.errors;
    return Object.entries(errs).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ');
  }
  return err instanceof HttpError ? err.message : `${t('error')}: offline`;
}

async function reportPage(token) {
  const draw = () => reportPage(token);
  let asset;
  try {
    asset = await api.get(`/api/v1/public/assets/${encodeURIComponent(token)}`);
  } catch (err) {
    mount(root, langSwitch(draw), h('div.card', h('h1', t('report_title')),
      h('p.error', { id: 'page-error' }, err instanceof HttpError && err.status === 404 ? t('unknown_qr') : errorText(err))));
    return;
  }
  const photos = [];
  const desc = h('textarea', { id: 'description', required: true, maxlength: 4000 });
  const name = h('input', { id: 'contact-name', autocomplete: 'name', required: true });
  const phone = h('input', { id: 'contact-phone', type: 'tel', autocomplete: 'tel' });
  const email = h('input', { id: 'contact-email', type: 'email', autocomplete: 'email' });
  const thumbs = h('div.thumbs');
  const fileInput = h('input', { id: 'photos', type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    onchange: async (e) => {
      for (const f of [...e.target.files].slice(0, MAX_PHOTOS - photos.length)) {
        const { blob } = await resizeImage(f, 1280, 0.8);
        photos.push(blob);
        thumbs.append(h('img', { src: URL.createObjectURL(blob), alt: '' }));
      }
      e.target.value = '';
    } });
  const msg = h('p.error', { id: 'form-error' });
  const submit = h('button', { id: 'send', type: 'submit' }, t('send'));
  const clientReportId = uuid(); // the same id on a retry: the server returns the first ticket
  const form = h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      msg.textContent = '';
      if (!desc.value.trim()) { msg.textContent = t('describe_needed'); return; }
      if (!phone.value.trim() && !email.value.trim()) { msg.textContent = t('contact_needed'); return; }
      submit.disabled = true;
      submit.textContent = t('sending');
      try {
        const body = { description: desc.value.trim(), contact_name: name.value.trim(), client_report_id: clientReportId };
        if (phone.value.trim()) body.contact_phone = phone.value.trim();
        if (email.value.trim()) body.contact_email = email.value.trim();
        const res = await api.post(`/api/v1/public/assets/${encodeURIComponent(token)}/reports`, body);
        const attached = await attachPhotos(res.tracking_token, photos);
        confirmation(res, attached, photos.length);
      } catch (err) {
        msg.textContent = errorText(err);
        submit.disabled = false;
        submit.textContent = t('send');
      }
    },
  },
    h('h1', t('report_title')),
    h('p.muted', { id: 'asset-name' }, `${asset.asset_name} — ${asset.site_name}`),
    h('label', { for: 'description' }, t('what_wrong')), desc,
    h('label', { for: 'photos' }, t('photos_optional')), fileInput, thumbs,
    h('label', { for: 'contact-name' }, t('your_name')), name,
    h('label', { for: 'contact-phone' }, t('phone')), phone,
    h('label', { for: 'contact-email' }, t('email')), email,
    submit, msg,
  );
  mount(root, langSwitch(draw), form);
}

/**
 * Photos go up after the report, one request each (the report body itself is limited to a few
 * KiB). Returns how many were accepted; a server without a public photo endpoint accepts none,
 * and the confirmation says so instead of pretending.
 */
async function attachPhotos(trackingToken, photos) {
  let ok = 0;
  for (const [i, blob] of photos.entries()) {
    const form = new FormData();
    form.append('file', blob, `photo-${i + 1}.jpg`);
    try {
      await api.request('POST', `/api/v1/public/tracking/${encodeURIComponent(trackingToken)}/photos`, { form });
      ok += 1;
    } catch {
      break;
    }
  }
  return ok;
}

function confirmation(res, attached, total) {
  const link = res.tracking_url ? new URL(res.tracking_url, location.origin) : null;
  const href = link ? `${link.pathname}${link.search}` : `/t/${res.tracking_token}`;
  mount(root, h('div.card', { id: 'confirmation' },
    h('h1.ok', t('thanks')),
    h('p', `${t('ticket_number')}: `, h('strong', { id: 'ticket-number' }, res.ticket_number)),
    total ? h('p.muted', { id: 'photo-result' }, `${t('photos')}: ${attached}/${total}`) : null,
    h('p', h('a', { id: 'tracking-link', href }, t('track'))),
  ));
}

async function trackingPage(token) {
  let timer = null;
  const draw = async () => {
    clearTimeout(timer);
    let data;
    try {
      data = await api.get(`/api/v1/public/tracking/${encodeURIComponent(token)}`);
    } catch (err) {
      mount(root, langSwitch(draw), h('div.card', h('p.error', { id: 'page-error' },
        err instanceof HttpError && err.status === 404 ? t('unknown_tracking') : errorText(err))));
      timer = setTimeout(draw, TRACK_POLL_MS);
      return;
    }
    const done = ['completed', 'closed'].includes(data.status);
    mount(root, langSwitch(draw), h('div.card', { id: 'tracking' },
      h('h1', t('tracking')),
      h('p', `${t('ticket_number')}: `, h('strong', { id: 'ticket-number' }, data.ticket_number)),
      h('p.status', { id: 'tracking-status', dataset: { status: data.status } }, t(`s_${data.status}`)),
      data.eta ? h('p', { id: 'eta' }, `${t('eta')}: ${fmtTime(data.eta)}`) : null,
      h('p.muted', `${t('updated')}: ${fmtTime(data.updated_at)}`),
      done && data.report_url ? h('p', h('a', { href: data.report_url, id: 'report-link' }, t('service_report'))) : null,
    ), done ? ratingForm(token, data) : null);
    if (!done) timer = setTimeout(draw, TRACK_POLL_MS);
  };
  await draw();
}

function ratingForm(token, data) {
  if (data.rating || data.rated) return h('div.card', h('p.ok', t('rated')));
  let score = 0;
  const stars = h('div.stars', [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', dataset: { score: n },
    onclick: (e) => { score = n; for (const b of stars.children) b.classList.toggle('on', Number(b.dataset.score) <= n); e.preventDefault(); } }, '★'.repeat(1) + n)));
  const comment = h('textarea', { id: 'rating-comment', maxlength: 2000 });
  const msg = h('p.error');
  const form = h('form.card', { id: 'rating', onsubmit: async (e) => {
    e.preventDefault();
    if (!score) return;
    try {
      const body = { score };
      if (comment.value.trim()) body.comment = comment.value.trim();
      await api.post(`/api/v1/public/tracking/${encodeURIComponent(token)}/rating`, body);
      mount(form, h('p.ok', t('rated')));
    } catch (err) {
      msg.textContent = err instanceof HttpError && err.status === 409 ? t('rated') : errorText(err);
    }
  } }, h('h2', t('rate_us')), stars, h('label', t('comment')), comment, h('button', { type: 'submit' }, t('send_rating')), msg);
  return form;
}

const r = route();
document.title = `fieldops — ${r.kind === 't' ? t('tracking') : t('report_title')}`;
if (r.kind === 'r') reportPage(r.token);
else if (r.kind === 't') trackingPage(r.token);
else mount(root, h('div.card', h('p.error', t('unknown_qr'))));
