// Customer page: /r/<qr_token> shows the fault-report form; /t/<tracking_token> (or ?t=)
// shows tracking and, once the work is done, the service report and the rating form. Public
// API only, no login, every call typed from the OpenAPI document (src/lib/api.ts).
// The server sends this page with its no-JS content (the same form and tracking view as plain
// HTML, backend/public/templates) inside #root; rendering here replaces it.
//
// Switching language re-renders in place: the form's inputs are created once per page and
// re-attached, so what the customer typed (and the photos they picked) stays.

import './style.css';
import { type components, createApi, HttpError, ok } from '../lib/api.js';
import { fmtTime, h, mount, uuid } from '../lib/dom.js';
import { resizeImage } from '../lib/image.js';
import { currentLanguage, setLanguage, t } from '../lib/i18n.js';
import { retryText } from './retry.js';

type Tracking = components['schemas']['TrackingOut'];
type Report = components['schemas']['ReportOut'];
type ReportBody = components['schemas']['ReportIn'];
type Slots = components['schemas']['SlotsOut'];

const root = document.getElementById('root') as HTMLElement;
const api = createApi();
const MAX_PHOTOS = 3;
const TRACK_POLL_MS = 15_000;
const SCORES = [1, 2, 3, 4, 5] as const;

type Route = { kind: 'r' | 't'; token: string } | { kind: null };

function route(): Route {
  const params = new URLSearchParams(location.search);
  const m = location.pathname.match(/^\/(r|t)\/([^/]+)/);
  const t = params.get('t');
  if (t) return { kind: 't', token: t };
  if (m?.[1] && m[2]) return { kind: m[1] as 'r' | 't', token: decodeURIComponent(m[2]) };
  return { kind: null };
}

/** The page's title in the current language (the tab, and what a screen reader announces). */
function title(key: string): void {
  document.title = `fieldops — ${t(key)}`;
}

function langSwitch(rerender: () => unknown): HTMLElement {
  const other = currentLanguage() === 'en' ? 'zh-CN' : 'en';
  return h(
    'div.lang',
    h(
      'button',
      {
        id: 'lang',
        type: 'button',
        lang: other,
        onclick: () => {
          setLanguage(other);
          rerender();
        },
      },
      other === 'en' ? 'English' : '中文',
    ),
  );
}

function errorText(err: unknown): string {
  if (err instanceof HttpError && err.status === 429) {
    return retryText(err.headers?.get('Retry-After'));
  }
  if (err instanceof HttpError && err.status === 422 && err.body?.errors) {
    const errs = (err.body.errors.json ?? err.body.errors) as Record<string, unknown>;
    return Object.entries(errs)
      .map(([k, v]) => `${k}: ${([] as unknown[]).concat(v).join(' ')}`)
      .join('; ');
  }
  return err instanceof HttpError ? err.message : `${t('error')}: offline`;
}

// ---- the report form ------------------------------------------------------------------------

async function reportPage(token: string): Promise<void> {
  let asset: components['schemas']['AssetPublicOut'];
  try {
    asset = await ok(api.client.GET('/api/v1/public/assets/{qr_token}', { params: { path: { qr_token: token } } }));
  } catch (err) {
    const failed = () => {
      title('report_title');
      mount(root, langSwitch(failed), h('div.card', h('h1', t('report_title')),
        h('p.error', { id: 'page-error', role: 'alert' },
          err instanceof HttpError && err.status === 404 ? t('unknown_qr') : errorText(err))));
    };
    failed();
    return;
  }

  // Created once: a re-render (language) re-attaches them with what was typed.
  const photos: Blob[] = [];
  const desc = h('textarea', { id: 'description', required: true, maxlength: 4000 });
  const name = h('input', { id: 'contact-name', autocomplete: 'name', required: true });
  const phone = h('input', { id: 'contact-phone', type: 'tel', autocomplete: 'tel' });
  const email = h('input', { id: 'contact-email', type: 'email', autocomplete: 'email' });
  const thumbs = h('div.thumbs');
  const fileInput = h('input', {
    id: 'photos', type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    onchange: async () => {
      for (const f of [...(fileInput.files ?? [])].slice(0, MAX_PHOTOS - photos.length)) {
        const { blob } = await resizeImage(f, 1280, 0.8);
        photos.push(blob);
        thumbs.append(h('img', { src: URL.createObjectURL(blob), alt: '' }));
      }
      fileInput.value = '';
    },
  });
  const msg = h('p.error', { id: 'form-error', role: 'alert' });
  const submit = h('button', { id: 'send', type: 'submit' });
  let sending = false;
  let errorKey: string | null = null; // a message we wrote, re-translated on a switch
  const clientReportId = uuid(); // the same id on a retry: the server returns the first ticket

  const say = (key: string | null, text = key ? t(key) : '') => {
    errorKey = key;
    msg.textContent = text;
  };

  const form = h('form.card', {
    onsubmit: async (e: Event) => {
      e.preventDefault();
      say(null);
      if (!desc.value.trim()) return say('describe_needed');
      if (!phone.value.trim() && !email.value.trim()) return say('contact_needed');
      sending = true;
      draw();
      try {
        const body: ReportBody = {
          description: desc.value.trim(),
          contact_name: name.value.trim(),
          client_report_id: clientReportId,
          // Status emails (if an address is given) are written in the page's language.
          contact_language: currentLanguage(),
        };
        if (phone.value.trim()) body.contact_phone = phone.value.trim();
        if (email.value.trim()) body.contact_email = email.value.trim();
        const res = await ok(api.client.POST('/api/v1/public/assets/{qr_token}/reports', {
          params: { path: { qr_token: token } }, body,
        }));
        const attached = await attachPhotos(res.tracking_token, photos);
        confirmation(res, attached, photos.length);
      } catch (err) {
        say(null, errorText(err));
        sending = false;
        draw();
      }
    },
  });

  function draw(): void {
    title('report_title');
    submit.disabled = sending;
    submit.textContent = t(sending ? 'sending' : 'send');
    if (errorKey) msg.textContent = t(errorKey);
    mount(form,
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
  draw();
}

/**
 * Photos go up after the report, one request each (the report body itself is limited to a few
 * KiB). Returns how many were accepted; the confirmation says so instead of pretending.
 */
async function attachPhotos(trackingToken: string, photos: Blob[]): Promise<number> {
  let accepted = 0;
  for (const [i, blob] of photos.entries()) {
    const form = new FormData();
    form.append('file', blob, `photo-${i + 1}.jpg`);
    try {
      await ok(api.client.POST('/api/v1/public/tracking/{tracking_token}/photos', {
        params: { path: { tracking_token: trackingToken } },
        body: form as never, // multipart: openapi-fetch sends FormData as it is
      }));
      accepted += 1;
    } catch {
      break;
    }
  }
  return accepted;
}

function confirmation(res: Report, attached: number, total: number): void {
  const link = res.tracking_url ? new URL(res.tracking_url, location.origin) : null;
  const href = link ? `${link.pathname}${link.search}` : `/t/${res.tracking_token}`;
  const draw = () => {
    title('thanks');
    mount(root, langSwitch(draw), h('div.card', { id: 'confirmation' },
      h('h1.ok', t('thanks')),
      h('p', `${t('ticket_number')}: `, h('strong', { id: 'ticket-number' }, res.ticket_number)),
      total ? h('p.muted', { id: 'photo-result' }, `${t('photos')}: ${attached}/${total}`) : null,
      h('p', h('a', { id: 'tracking-link', href }, t('track'))),
    ));
  };
  draw();
}

// ---- tracking and rating ---------------------------------------------------------------------

async function trackingPage(token: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let data: Tracking | null = null;
  let failure: unknown = null;
  const rating = ratingControl(token, () => render());
  const booking = bookingControl(token, () => render(), () => void poll());

  const render = () => {
    title('tracking');
    if (!data) {
      mount(root, langSwitch(render), h('div.card', h('p.error', { id: 'page-error', role: 'alert' },
        failure instanceof HttpError && failure.status === 404 ? t('unknown_tracking') : errorText(failure))));
      return;
    }
    mount(root, langSwitch(render), h('div.card', { id: 'tracking' },
      h('h1', t('tracking')),
      h('p', `${t('ticket_number')}: `, h('strong', { id: 'ticket-number' }, data.ticket_number)),
      h('p.status', { id: 'tracking-status', dataset: { status: data.status } }, t(`s_${data.status}`)),
      data.eta ? h('p', { id: 'eta' }, `${t('eta')}: ${fmtTime(data.eta)}`) : null,
      data.window_start && data.window_end
        ? h('p', { id: 'arrival-window' }, `${t('arrival_window')}: ${fmtSpan(data.window_start, data.window_end)}`)
        : null,
      h('p.muted', `${t('updated')}: ${fmtTime(data.updated_at)}`),
      data.failed_checks.length
        ? h('div', { id: 'failed-checks' }, h('p', `${t('failed_checks')}:`),
          h('ul', ...data.failed_checks.map((label) => h('li', label))))
        : null,
      data.report_url
        ? h('p', h('a', { href: data.report_url, id: 'report-link', type: 'application/pdf' }, t('service_report')))
        : null,
    ), booking.view(data), rating.view(data));
  };

  const poll = async () => {
    clearTimeout(timer);
    try {
      data = await ok(api.client.GET('/api/v1/public/tracking/{tracking_token}', {
        params: { path: { tracking_token: token } },
      }));
      failure = null;
    } catch (err) {
      failure = err;
      data = null;
    }
    render();
    // Done (the report is there): nothing changes any more, and no redraw under the rating.
    if (!data?.report_url) timer = setTimeout(poll, TRACK_POLL_MS);
  };
  await poll();
}

/** "Tue, 8 Dec, 08:00–10:00" in the page's language and the browser's zone. */
function fmtSpan(startIso: string, endIso: string): string {
  const lang = currentLanguage();
  const start = new Date(startIso);
  const end = new Date(endIso);
  const day = start.toLocaleDateString(lang, { weekday: 'short', day: 'numeric', month: 'short' });
  const hm = { hour: '2-digit', minute: '2-digit' } as const;
  const endText = end.toDateString() === start.toDateString()
    ? end.toLocaleTimeString(lang, hm)
    : end.toLocaleString(lang, { weekday: 'short', ...hm });
  return `${day}, ${start.toLocaleTimeString(lang, hm)}–${endText}`;
}

/**
 * Booking: the arrival windows on offer (GET .../slots, loaded while the report may be
 * booked) as radio buttons, and the booking of one (POST .../booking). A 409 ``slot_taken``
 * says so and reloads the times; success reloads the tracking view, which shows the window.
 */
function bookingControl(token: string, rerender: () => void, refresh: () => void) {
  let slots: Slots | null = null;
  let loading = false;
  let attempted = false; // one automatic load: a failed one is not retried on every redraw
  let chosen = '';
  let sending = false;
  let note: { key?: string; text?: string; ok?: boolean } | null = null;
  const path = { params: { path: { tracking_token: token } } };

  const load = async () => {
    loading = true;
    try {
      slots = await ok(api.client.GET('/api/v1/public/tracking/{tracking_token}/slots', path));
    } catch (err) {
      slots = null;
      note = { text: errorText(err) };
    }
    loading = false;
    rerender();
  };

  const send = async (e: Event) => {
    e.preventDefault();
    if (!chosen) {
      note = { key: 'choose_slot' };
      rerender();
      return;
    }
    sending = true;
    note = null;
    rerender();
    try {
      await ok(api.client.POST('/api/v1/public/tracking/{tracking_token}/booking', {
        ...path, body: { start: chosen },
      }));
      note = { key: 'booked', ok: true };
      chosen = '';
      refresh();
    } catch (err) {
      const taken = err instanceof HttpError && err.status === 409
        && (err.body as { reason?: string } | undefined)?.reason === 'slot_taken';
      note = taken ? { key: 'slot_taken' } : { text: errorText(err) };
    }
    sending = false;
    slots = null;
    void load();
  };

  const message = () => note
    ? h(note.ok ? 'p.ok' : 'p.error', { id: 'booking-note', role: note.ok ? 'status' : 'alert' },
      note.key ? t(note.key) : note.text ?? '')
    : null;

  return {
    view(data: Tracking): HTMLElement | null {
      if (!data.can_book) {
        slots = null;
        attempted = false;
        return note?.ok ? h('div.card', message()) : null;
      }
      if (!slots) {
        if (!loading && !attempted) {
          attempted = true;
          void load();
        }
        return h('div.card', { id: 'booking' }, message());
      }
      const heading = h('h2', { id: 'book-title' }, t(data.window_start ? 'rebook_title' : 'book_title'));
      if (!slots.slots.length) {
        return h('div.card', { id: 'booking' }, heading, h('p.muted', { id: 'no-slots' }, t('no_slots')), message());
      }
      const group = h('div.slots', { role: 'radiogroup', 'aria-labelledby': 'book-title' },
        ...slots.slots.map((slot) => h('label.slot',
          h('input', {
            type: 'radio', name: 'start', value: slot.start,
            checked: slot.start === chosen || (!chosen && slot.start === data.window_start),
            onchange: () => { chosen = slot.start; },
          }),
          ` ${fmtSpan(slot.start, slot.end)}`,
        )));
      return h('form.card', { id: 'booking', onsubmit: send, novalidate: true },
        heading, group,
        h('button', { type: 'submit', disabled: sending }, t(sending ? 'booking_sending' : 'book_send')),
        message(),
      );
    },
  };
}

/**
 * The rating: five stars as a radio group (native radios: arrow keys, one tab stop, checked
 * state announced), each named "n of 5 stars"; sending without a score says so. Its state
 * (score, comment) lives here, so a language switch or a poll re-renders it unchanged.
 */
function ratingControl(token: string, rerender: () => void) {
  let score = 0;
  let done = false;
  let sending = false;
  let errorKey: string | null = null;
  let failedText = '';
  const comment = h('textarea', { id: 'rating-comment', maxlength: 2000 });

  const send = async (e: Event) => {
    e.preventDefault();
    if (!score) {
      errorKey = 'choose_score';
      rerender();
      return;
    }
    errorKey = null;
    failedText = '';
    sending = true;
    rerender();
    try {
      const body: components['schemas']['RatingIn'] = { score };
      if (comment.value.trim()) body.comment = comment.value.trim();
      await ok(api.client.POST('/api/v1/public/tracking/{tracking_token}/rating', {
        params: { path: { tracking_token: token } }, body,
      }));
      done = true;
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) done = true; // rated before
      else failedText = errorText(err);
    }
    sending = false;
    rerender();
  };

  const choice = h('p.muted', { id: 'rating-choice', 'aria-live': 'polite' });
  const alert = h('p.error', { role: 'alert' });

  function choose(n: number, group: HTMLElement): void {
    score = n;
    errorKey = null;
    alert.textContent = '';
    for (const label of group.children) {
      const value = Number(label.querySelector('input')?.value);
      label.classList.toggle('on', value <= n);
    }
    choice.textContent = t('star_label', { n });
  }

  function stars(): HTMLElement {
    const group: HTMLElement = h('div.stars', {
      role: 'radiogroup', 'aria-labelledby': 'rate-title', 'aria-required': 'true',
    });
    for (const n of SCORES) {
      group.append(h(n <= score ? 'label.star.on' : 'label.star',
        h('input', {
          type: 'radio', name: 'score', value: String(n), checked: n === score,
          'aria-label': t('star_label', { n }),
          onchange: () => choose(n, group),
        }),
        h('span', { 'aria-hidden': 'true' }, '★'),
      ));
    }
    return group;
  }

  return {
    view(data: Tracking): HTMLElement | null {
      if (done || data.rated) return h('div.card', { id: 'rating-done' }, h('p.ok', { role: 'status' }, t('rated')));
      if (!data.can_rate) return null;
      alert.textContent = errorKey ? t(errorKey) : failedText;
      choice.textContent = score ? t('star_label', { n: score }) : '';
      return h('form.card', { id: 'rating', onsubmit: send, novalidate: true },
        h('h2', { id: 'rate-title' }, t('rate_us')),
        stars(),
        choice,
        h('label', { for: 'rating-comment' }, t('comment')), comment,
        h('button', { type: 'submit', disabled: sending }, t('send_rating')),
        alert,
      );
    },
  };
}

const r = route();
if (r.kind === 'r') void reportPage(r.token);
else if (r.kind === 't') void trackingPage(r.token);
else {
  const draw = () => {
    title('report_title');
    mount(root, langSwitch(draw), h('div.card', h('p.error', { role: 'alert' }, t('unknown_qr'))));
  };
  draw();
}
