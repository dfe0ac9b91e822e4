// Job detail: customer/site/asset, history, actions for the status on screen, notes, photos,
// parts, signature and the completion checklist. Every edit is a queued mutation with a
// client UUID; nothing here talks to the server directly (photos' bytes go via sync.ts).

import SignaturePad from 'signature_pad';
import { fmtTime, h, live, uuid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { resizeImage, sha256Hex } from '../lib/image.js';
import { answersOf, checkAnswer, evaluate, type Item, itemsOf } from './checklist.js';
import { checklist, definitionOf, type MissingCode, missing } from './completion.js';
import { childrenOf } from './replay.js';
import { allowedActions, REASON_REQUIRED } from './states.js';
import { serverThumb } from './thumbs.js';
import { codeLabel, dueText } from './timefmt.js';
import type { App, HistoryEntry, PartRow, SignaturePadCache, Ticket } from './types.js';

/** What the screen reads of a child row, confirmed or queued (a queued one has its mutation's
 * arguments and `_pending`). */
interface RowView {
  id: string;
  ticket_id?: string;
  created_at?: string | null;
  _pending?: boolean;
}
type NoteView = RowView & { body?: string; customer_visible?: boolean };
type PhotoView = RowView & { uploaded?: boolean; status?: string; renditions?: Record<string, { url?: string }> };
type UsageView = RowView & { part_id?: string; quantity?: number | string };
type SignoffView = RowView & { signer_name?: string };

const valueOf = (e: Event): string => (e.target as HTMLInputElement | HTMLTextAreaElement).value;

function mapsLink(tk: Ticket): HTMLElement | null {
  const c = tk.location?.coordinates;
  if (!c || c.length < 2) return null;
  const [lon, lat] = c;
  const ios = /iPhone|iPad/.test(navigator.userAgent);
  const href = ios ? `maps://?q=${lat},${lon}` : `geo:${lat},${lon}?q=${lat},${lon}`;
  return h('a.btn.secondary', { href, id: 'maps-link' }, t('open_maps'));
}

const CHECK_LABEL: Record<string, string> = { signature: 'c_signature', photos: 'c_photo', parts: 'c_parts' };

/** What is missing in words: a checklist item by its label (from the server's definition). */
function missingLabel(tk: Ticket, code: MissingCode): string {
  if (!code.startsWith('checklist.')) return t(CHECK_LABEL[code] || code);
  const key = code.slice('checklist.'.length);
  const item = itemsOf(definitionOf(tk)).find((i) => i.key === key);
  return `${t('jc_item')}: ${item?.label ?? key}`;
}

function actionsCard(app: App, tk: Ticket): HTMLElement {
  const reason = h('input', { id: 'action-reason', placeholder: t('reason'), 'aria-label': t('reason'), value: app.drafts.reason || '',
    oninput: (e: Event) => { app.drafts.reason = valueOf(e); } });
  const msg = h('p.error', { id: 'action-msg' });
  // Complete waits until the checklist is met (evaluated on what the phone holds, offline too):
  // what is missing is listed here instead of a conflict coming back from the server.
  const needed = missing(app.view, tk);
  const buttons = allowedActions(tk).map((action) =>
    h('button', {
      dataset: { action },
      disabled: action === 'complete' && needed.length > 0,
      onclick: async () => {
        const why = live(reason).value.trim();
        if (REASON_REQUIRED.has(action) && !why) {
          live(msg).textContent = t('reason_required');
          return;
        }
        if (action === 'start_travel') app.askLocation?.();
        await app.mutate('ticket.transition', {
          ticket_id: tk.id, action, base_version: tk.version, ...(why ? { reason: why } : {}),
        });
        app.drafts.reason = '';
        live(reason).value = '';
      },
    }, t(`a_${action}`)),
  );
  const offersComplete = buttons.some((b) => b.dataset.action === 'complete');
  return h('section.card', { id: 'actions' }, h('h2', t('actions')),
    h('div.actions', buttons), buttons.some((b) => REASON_REQUIRED.has(b.dataset.action || '')) ? reason : null,
    offersComplete && needed.length
      ? h('div', { id: 'missing' }, h('strong', `${t('missing_title')}:`),
        h('ul.list', needed.map((code) => h('li', { dataset: { rule: code } }, missingLabel(tk, code)))))
      : null,
    msg);
}

function notesCard(app: App, tk: Ticket): HTMLElement {
  const notes = childrenOf(app.view, 'notes', tk.id) as NoteView[];
  const draft = `note:${tk.id}`;
  const area = h('textarea', { id: 'note-body', placeholder: t('note_placeholder'), value: app.drafts[draft] || '',
    oninput: (e: Event) => { app.drafts[draft] = valueOf(e); } });
  // Notes are internal unless the engineer ticks the box: only those reach the customer's report.
  const forCustomer = h('input', { type: 'checkbox', id: 'note-customer' });
  return h('section.card', { id: 'notes' }, h('h2', t('notes')),
    h('ul.list', notes.map((n) => h('li.note', { dataset: { customer: String(!!n.customer_visible) } }, h('div', n.body ?? ''),
      h('div.muted', fmtTime(n.created_at),
        n.customer_visible ? h('span.badge.status', ` ${t('note_for_customer')}`) : null,
        n._pending ? h('span.badge.pending', ` ${t('queued')}`) : null)))),
    area,
    h('label.note-flag', forCustomer, ` ${t('note_on_report')}`),
    h('p', h('button', { id: 'add-note', onclick: async () => {
      const body = live(area).value.trim();
      if (!body) return;
      const customerVisible = live(forCustomer).checked;
      // Saved: empty the form for the next note here (a re-render keeps what was typed).
      app.drafts[draft] = '';
      live(area).value = '';
      live(forCustomer).checked = false;
      await app.mutate('note.add', { id: uuid(), ticket_id: tk.id, body, customer_visible: customerVisible });
    } }, t('add_note'))),
  );
}

function photosCard(app: App, tk: Ticket, rerender: () => void): HTMLElement {
  const photos = childrenOf(app.view, 'photos', tk.id) as PhotoView[];
  const blobs = new Map(app.blobs.map((b) => [b.id, b]));
  const thumbs = (app.thumbs ||= new Map());
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: 'photo-input',
    onchange: async (e: Event) => {
      const picker = e.target as HTMLInputElement;
      for (const file of Array.from(picker.files || [])) await addPhoto(app, tk, file);
      picker.value = '';
    } });
  return h('section.card', { id: 'photos' }, h('h2', t('photos')),
    h('div.thumbs', photos.map((p) => {
      const b = blobs.get(p.id);
      let src: string | null | undefined = thumbs.get(p.id);
      if (!src && b?.thumb) {
        src = URL.createObjectURL(new Blob([b.thumb], { type: 'image/jpeg' }));
        thumbs.set(p.id, src);
      }
      if (!src || src === 'loading') src = serverThumb(app, p, rerender);
      const uploaded = p.uploaded || p.status === 'uploaded' || p.status === 'ready' || b?.uploaded;
      return h('figure.photo', { dataset: { photo: p.id } }, src ? h('img', { src, alt: '' }) : h('div.ph'),
        h('figcaption.muted', uploaded ? t('uploaded') : t('uploading'), b?.error ? h('span.error', ` ${b.error}`) : null));
    })),
    // A real button (a label is not reachable by Tab); it opens the hidden file input's camera.
    h('button', { type: 'button', id: 'take-photo', onclick: () => live(input).click() }, t('add_photo')),
    h('div', { style: { display: 'none' } }, input),
  );
}

async function addPhoto(app: App, tk: Ticket, file: File): Promise<void> {
  const { blob } = await resizeImage(file);
  const { blob: thumb } = await resizeImage(file, 240, 0.7);
  const sha256 = await sha256Hex(blob);
  const id = uuid();
  const bytes = await blob.arrayBuffer();
  const rec = await app.sync.enqueue('photo.register', {
    id, ticket_id: tk.id, sha256, content_type: 'image/jpeg', size: bytes.byteLength,
  });
  await app.db.blobs.put({ id, ticket_id: tk.id, sha256, content_type: 'image/jpeg', bytes,
    thumb: await thumb.arrayBuffer(), uploaded: false, mutation_id: rec.id });
  if (app.online) app.sync.sync();
}

interface StockChoice {
  part_id: string;
  location_id: string;
  qty: number | null;
  label: string;
}

function partLabel(part: PartRow | undefined, fallback: string): string {
  return part ? `${part.sku || ''} ${part.name || ''}`.trim() : fallback;
}

function stockRows(app: App): StockChoice[] {
  return Object.values(app.view.stock_levels || {}).map((s) => ({
    part_id: s.part_id,
    location_id: s.location_id,
    qty: s.quantity == null ? null : Number(s.quantity),
    label: partLabel(app.view.parts?.[s.part_id], s.part_id),
  }));
}

function partsCard(app: App, tk: Ticket): HTMLElement {
  const used = childrenOf(app.view, 'part_usages', tk.id) as UsageView[];
  const stated = childrenOf(app.view, 'parts_statements', tk.id).length > 0;
  const stock = stockRows(app);
  const select = h('select', { id: 'part-select' },
    stock.map((s, i) => h('option', { value: String(i) }, `${s.label} (${s.qty ?? '?'})`)));
  const qty = h('input', { id: 'part-qty', type: 'number', min: '1', step: '1', value: '1' });
  const partName = (u: UsageView): string => partLabel(u.part_id ? app.view.parts?.[u.part_id] : undefined, u.part_id || '');
  return h('section.card', { id: 'parts' }, h('h2', t('parts')),
    h('ul.list', used.map((u) => h('li.part-usage', `${partName(u)} × ${u.quantity}`, u._pending ? h('span.badge.pending', ` ${t('queued')}`) : null))),
    stock.length ? [h('label', { for: 'part-select' }, t('van_stock')), select, h('label', { for: 'part-qty' }, t('quantity')), qty,
      h('p', h('button', { id: 'add-part', onclick: async () => {
        const s = stock[Number(live(select).value)];
        const quantity = Number(live(qty).value);
        if (!s || !(quantity > 0)) return;
        await app.mutate('part.consume', { id: uuid(), ticket_id: tk.id, part_id: s.part_id, quantity, location_id: s.location_id });
      } }, t('add_part')))] : h('p.muted', t('no_stock')),
    !used.length && !stated
      ? h('p', h('button.secondary', { id: 'no-parts', onclick: () => app.mutate('part.none_used', { id: uuid(), ticket_id: tk.id }) }, t('no_parts')))
      : stated ? h('p.muted', { id: 'no-parts-stated' }, t('no_parts')) : null,
  );
}

function signatureCard(app: App, tk: Ticket): HTMLElement {
  const existing = (childrenOf(app.view, 'signoffs', tk.id) as SignoffView[])[0];
  if (existing) {
    return h('section.card', { id: 'signature' }, h('h2', t('signature')),
      h('p', `${t('signed_by')}: `, h('strong', existing.signer_name ?? ''), existing._pending ? h('span.badge.pending', ` ${t('queued')}`) : null));
  }
  // Keep one pad per ticket across re-renders so a sync in the background does not wipe a
  // half-drawn signature.
  const pads = (app.sigCache ||= new Map());
  let cached = pads.get(tk.id);
  if (!cached) {
    const canvas = h('canvas.sig', { id: 'sig-canvas' });
    const name = h('input', { id: 'signer-name', autocomplete: 'name' });
    const pad = new SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.2 });
    const msg = h('p.error');
    const save = h('button', { id: 'save-signature', onclick: async () => {
      if (pad.isEmpty() || !name.value.trim()) { msg.textContent = `${t('signature')} / ${t('signer_name')}?`; return; }
      const strokes = pad.toData().map((s) => s.points.map((p) => [Math.round(p.x), Math.round(p.y)]));
      pads.delete(tk.id);
      await app.mutate('signoff.submit', { id: uuid(), ticket_id: tk.id, signer_name: name.value.trim(), signature: { strokes } });
    } }, t('save_signature'));
    const el = h('section.card', { id: 'signature' }, h('h2', t('signature')), canvas,
      h('label', { for: 'signer-name' }, t('signer_name')), name,
      h('div.actions', { style: { marginTop: '8px' } },
        h('button.secondary', { onclick: () => pad.clear() }, t('clear')), save), msg);
    const label = (): void => {
      const now = app.view.tickets[tk.id] || tk;
      const others = missing(app.view, now).filter((x) => x !== 'signature');
      save.textContent = now.status === 'in_progress' && !others.length ? t('sign_complete') : t('save_signature');
    };
    const made: SignaturePadCache = { el, canvas, pad, label };
    cached = made;
    pads.set(tk.id, made);
    requestAnimationFrame(() => sizeCanvas(made));
  }
  cached.label();
  return cached.el;
}

function sizeCanvas({ canvas, pad }: SignaturePadCache): void {
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  const data = pad.toData();
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext('2d')?.scale(ratio, ratio);
  pad.fromData(data);
}

function checklistCard(app: App, tk: Ticket): HTMLElement {
  const items = checklist(app.view, tk);
  return h('section.card', { id: 'checklist' }, h('h2', t('checklist')),
    h('ul.list.check', items.map((i) => h(`li${i.ok ? '.ok' : ''}`, { dataset: { rule: i.key, ok: String(i.ok) } },
      i.key === 'photos' ? `${t('c_photo')} (${i.have}/${i.need})` : t(CHECK_LABEL[i.key] || i.key)))));
}

type JobType = { name?: string; description?: string; version?: number;
  suggested_parts?: { part_id: string; quantity: number }[] };

/** The job type's checklist, rendered from the definition the server sent with the ticket and
 * checked on the phone with the server's rules (checklist.ts): every answer is a queued
 * `checklist.answer`, so it works offline; a value the server would refuse is not queued. */
function jobChecklistCard(app: App, tk: Ticket): HTMLElement | null {
  const definition = definitionOf(tk);
  const jt = (tk.job_type || null) as JobType | null;
  if (!definition || !jt) return null;
  const answers = answersOf(app.view, tk.id);
  const result = evaluate(definition, answers);
  const failed = new Set(result.failed);
  const shown = new Set(result.visible);
  const parts = app.view.parts || {};
  const save = async (item: Item, value: unknown, msg: HTMLElement): Promise<void> => {
    if (value !== null) {
      const checked = checkAnswer(item, value);
      if (checked.refused) { msg.textContent = t('jc_invalid'); return; }
      value = checked.value;
    }
    msg.textContent = '';
    await app.mutate('checklist.answer', { id: uuid(), ticket_id: tk.id, item_key: item.key, value });
  };
  const itemView = (item: Item): HTMLElement => {
    const msg = h('span.error', { dataset: { msg: item.key } });
    const answer = answers[item.key];
    const control = answerControl(app, tk, item, answer, (v) => save(item, v, msg));
    const unit = item.unit ? ` (${item.unit})` : '';
    const range = item.type === 'number' && (item.min != null || item.max != null)
      ? h('span.muted', ` ${item.min ?? '…'}–${item.max ?? '…'}${item.unit ? ` ${item.unit}` : ''}`) : null;
    return h(`li.jc-item${failed.has(item.key) ? '.failed' : ''}`, { dataset: { item: item.key, type: item.type,
      failed: String(failed.has(item.key)), answered: String(item.key in answers) } },
      h('div', h('strong', `${item.label}${unit}`), item.required ? h('span.required', ' *') : null, range,
        failed.has(item.key) ? h('span.badge.late', ` ${t('jc_failed')}`) : null),
      item.help ? h('div.muted', item.help) : null, control, msg);
  };
  return h('section.card', { id: 'job-checklist', dataset: { version: String(jt.version ?? '') } },
    h('h2', jt.name || t('checklist')),
    jt.description ? h('p', { id: 'job-type-description' }, jt.description) : null,
    jt.suggested_parts?.length
      ? h('div', { id: 'suggested-parts' }, h('strong', `${t('jc_suggested_parts')}:`),
        h('ul.list', jt.suggested_parts.map((p) => {
          const part = parts[p.part_id] as { sku?: string; name?: string } | undefined;
          return h('li', { dataset: { part: p.part_id } }, `${p.quantity} × ${part ? `${part.sku} ${part.name}` : p.part_id}`);
        })))
      : null,
    ...definition.sections.map((section) => {
      const items = section.items.filter((i) => shown.has(i.key));
      return items.length ? h('div.jc-section', h('h3', section.title), h('ul.list', items.map(itemView))) : null;
    }));
}

function answerControl(app: App, tk: Ticket, item: Item, answer: unknown, save: (v: unknown) => Promise<void>): HTMLElement {
  const id = `jc-${item.key}`;
  switch (item.type) {
    case 'yes_no':
      return h('div.actions', (['yes', 'no', 'na'] as const).map((v) => h(`button${answer === v ? '' : '.secondary'}`, {
        dataset: { answer: v }, 'aria-pressed': String(answer === v), onclick: () => save(v),
      }, t(`jc_${v}`))));
    case 'number':
    case 'meter':
      return h('input', { id, type: 'number', step: 'any', inputmode: 'decimal', 'aria-label': item.label,
        value: answer == null ? '' : String(answer),
        onchange: (e: Event) => {
          const raw = valueOf(e).trim();
          return save(raw === '' ? null : Number(raw));
        } });
    case 'single_choice':
      return h('select', { id, 'aria-label': item.label, onchange: (e: Event) => save(valueOf(e) || null) },
        h('option', { value: '' }, '—'),
        (item.choices || []).map((c) => h('option', { value: c, selected: answer === c }, c)));
    case 'multi_choice': {
      const chosen = new Set(Array.isArray(answer) ? answer as string[] : []);
      return h('div', { id }, (item.choices || []).map((c) => h('label.choice', h('input', {
        type: 'checkbox', value: c, checked: chosen.has(c), onchange: (e: Event) => {
          if ((e.target as HTMLInputElement).checked) chosen.add(c); else chosen.delete(c);
          const list = (item.choices || []).filter((x) => chosen.has(x));
          return save(list.length ? list : null);
        } }), ` ${c}`)));
    }
    case 'text':
      return h('textarea', { id, 'aria-label': item.label, value: typeof answer === 'string' ? answer : '',
        onchange: (e: Event) => save(valueOf(e).trim() ? valueOf(e) : null) });
    case 'photo': {
      const photos = childrenOf(app.view, 'photos', tk.id) as PhotoView[];
      return h('select', { id, 'aria-label': item.label, onchange: (e: Event) => save(valueOf(e) || null) },
        h('option', { value: '' }, photos.length ? t('jc_pick_photo') : t('jc_take_photo_first')),
        photos.map((p, n) => h('option', { value: p.id, selected: answer === p.id }, `${t('photos')} ${n + 1}`)));
    }
    case 'signature': {
      const signed = answer as { signer_name?: string } | undefined;
      if (signed?.signer_name) return h('p', `${t('signed_by')}: `, h('strong', signed.signer_name));
      const canvas = h('canvas.sig', { id: `${id}-canvas` });
      const name = h('input', { id: `${id}-name`, autocomplete: 'name', placeholder: t('signer_name'),
        'aria-label': `${item.label}: ${t('signer_name')}` });
      const pad = new SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.2 });
      requestAnimationFrame(() => sizeCanvas({ el: canvas, canvas, pad, label: () => undefined }));
      return h('div', canvas, name, h('div.actions', h('button.secondary', { onclick: () => pad.clear() }, t('clear')),
        h('button', { id: `${id}-save`, onclick: () => save({
          signer_name: name.value,
          strokes: pad.toData().map((s) => s.points.map((p) => [Math.max(0, Math.round(p.x)), Math.max(0, Math.round(p.y))])),
        }) }, t('save_signature'))));
    }
    default:
      return h('span.muted', item.type);
  }
}

// The server sends the job's status changes with the ticket (pull re-delivers the ticket on
// every change, so this is never behind what the phone last confirmed); queued ones follow.
function historyCard(tk: Ticket): HTMLElement | null {
  const events = tk.history || [];
  if (!events.length) return null;
  const label = (e: HistoryEntry): string =>
    (e.from_status ? `${t(`s_${e.from_status}`)} → ${t(`s_${e.to_status}`)}` : t(`s_${e.to_status}`));
  return h('section.card', { id: 'history' }, h('h2', t('history')),
    h('ul.list', events.map((e) => h('li', { dataset: { to: e.to_status ?? '' } }, h('span', label(e)),
      h('span.muted', ` ${fmtTime(e.at)}`), e.reason ? h('span.muted', ` · ${e.reason}`) : null,
      e._pending ? h('span.badge.pending', ` ${t('queued')}`) : null))));
}

export function renderDetail(app: App, id: string, rerender: () => void): HTMLElement {
  const tk = app.view.tickets[id];
  if (!tk) {
    return h('div', h('p', h('a', { href: '#/' }, `← ${t('back')}`)), h('p.muted', t('no_jobs')));
  }
  // Customer, site and asset come with the synced ticket (engineers cannot read those APIs).
  const site: { name?: string; address?: string | null } = tk.site || {};
  const asset: { name?: string; model?: string | null; serial?: string | null } = tk.asset || {};
  const customer: { name?: string; phone?: string | null } = tk.customer || {};
  const due = tk.resolve_by ? dueText(tk.resolve_by) : null;
  // Responding is accepting: until then the respond-by clock runs too.
  const respond = tk.respond_by && !tk.responded_at && tk.status === 'assigned' ? dueText(tk.respond_by) : null;
  const slaWord = codeLabel('sla', tk.sla_state);
  return h('div', { id: 'detail', dataset: { ticket: tk.id } },
    h('p', h('a', { href: '#/' }, `← ${t('back')}`)),
    h('section.card',
      h('div.row', h('h2', `${tk.number ? `#${tk.number} ` : ''}${tk.title || ''}`), h(`span.badge.${tk.priority}`, tk.priority || '')),
      h('div.row', h('span.badge.status', { id: 'ticket-status', dataset: { status: tk.status } }, t(`s_${tk.status}`)),
        tk._pending ? h('span.badge.pending', t('queued')) : null),
      tk.description ? h('p', tk.description) : null,
      respond ? h(`p.sla-respond${respond.late ? '.late' : '.muted'}`, `${t('sla_respond')}: ${fmtTime(tk.respond_by)} (${respond.text})`) : null,
      due ? h(`p.sla${due.late ? '.late' : '.muted'}`, `${t('sla_resolve')}: ${fmtTime(tk.resolve_by)} (${due.text})`,
        slaWord ? h('span.late', ` · ${slaWord}`) : null) : null,
      h('p', { id: 'job-customer' }, h('strong', `${t('customer')}: `), customer.name || '—', customer.phone ? [' · ', h('a', { href: `tel:${customer.phone}` }, customer.phone)] : null),
      h('p', { id: 'job-site' }, h('strong', `${t('site')}: `), [site.name, site.address].filter(Boolean).join(', ') || '—'),
      h('p', { id: 'job-asset' }, h('strong', `${t('asset')}: `), [asset.name, asset.model, asset.serial].filter(Boolean).join(' · ') || '—'),
      mapsLink(tk),
    ),
    actionsCard(app, tk),
    jobChecklistCard(app, tk),
    checklistCard(app, tk),
    notesCard(app, tk),
    photosCard(app, tk, rerender),
    partsCard(app, tk),
    signatureCard(app, tk),
    historyCard(tk),
  );
}
