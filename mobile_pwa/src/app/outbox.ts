// How the outbox packs and isolates push batches (pure: unit-tested without a browser).
//
// The server publishes its push limits in its OpenAPI document: at most `maxItems` mutations
// (PushIn.mutations.maxItems) and `maxBytes` of UTF-8 JSON (requestBody x-max-body-bytes). A
// batch is packed by both, so a few long notes or a signature never make a body the server
// must refuse. If the server still answers a batch with a 4xx that says "this input is bad"
// (400, 413, 422, ...), the batch is never sent again unchanged: it is split in halves until
// the one mutation that the server refuses is alone; that one is kept, marked not synced with
// the server's reason and shown to the engineer, and the others flow on.

import type { components } from '../lib/api.js';
import type { Mutation } from './types.js';

export const PUSH_PATH = '/api/v1/sync/push';

// Answers that do not depend on the batch's content: the same batch may be sent again later.
const RETRY_UNCHANGED = new Set([401, 403, 404, 408, 409, 425, 429]);

/** A 4xx answer caused by what the batch contains (so splitting it can isolate the cause). */
export function isPoisonStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && !RETRY_UNCHANGED.has(status);
}

const encoder = new TextEncoder();

/** Bytes of `value` as fetch sends it: JSON.stringify in UTF-8. */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** What this app sends: the document accepts any `name`/`args` (the server rejects a bad one
 * per mutation, not the batch), but the app itself only ever sends a name and an object. */
export type WireMutation = Omit<components['schemas']['MutationIn'], 'name' | 'args'> & {
  name: string;
  args: Record<string, unknown>;
};

/** The wire form of a queued record (screen-only fields stay on the phone). */
export const wire = (m: Pick<Mutation, 'id' | 'name' | 'args'>): WireMutation => ({ id: m.id, name: m.name, args: m.args });

export interface PushLimits {
  maxItems: number;
  maxBytes: number;
}

interface OpenApiLike {
  paths?: Record<string, { post?: { requestBody?: Record<string, unknown> } } | undefined>;
  components?: { schemas?: Record<string, { properties?: Record<string, { maxItems?: unknown }> } | undefined> };
}

/**
 * The push limits the server documents in its OpenAPI document, or null if it says nothing.
 * `fallbackBytes` is for a server that publishes only the count (older versions).
 */
export function limitsFromOpenApi(spec: OpenApiLike | null | undefined, fallbackBytes = 256 * 1024): PushLimits | null {
  const op = spec?.paths?.[PUSH_PATH]?.post;
  if (!op) return null;
  const items = spec?.components?.schemas?.PushIn?.properties?.mutations?.maxItems;
  const bytes = op.requestBody?.['x-max-body-bytes'];
  return {
    maxItems: Number.isInteger(items) && (items as number) > 0 ? (items as number) : 100,
    maxBytes: Number.isInteger(bytes) && (bytes as number) > 0 ? (bytes as number) : fallbackBytes,
  };
}

/**
 * The next batch from the head of `pending` (in order): as many as fit in `maxItems` (and
 * `countCap`) and `maxBytes` with the envelope. A first mutation that cannot fit even alone
 * is returned as `tooLarge` (it can never be sent: keep it and show it).
 */
export function packBatch<M extends Pick<Mutation, 'id' | 'name' | 'args'>>(pending: readonly M[], envelope: object,
  { maxItems, maxBytes }: PushLimits, countCap = Infinity): { batch: M[]; tooLarge: { mutation: M; bytes: number } | null } {
  const limit = Math.min(maxItems, countCap);
  let size = jsonBytes({ ...envelope, mutations: [] });
  const batch: M[] = [];
  for (const m of pending) {
    if (batch.length >= limit) break;
    const bytes = jsonBytes(wire(m)) + (batch.length ? 1 : 0); // the comma between them
    if (size + bytes > maxBytes) {
      if (!batch.length) return { batch, tooLarge: { mutation: m, bytes: size + bytes } };
      break;
    }
    size += bytes;
    batch.push(m);
  }
  return { batch, tooLarge: null };
}

export interface Isolation<M, A> {
  send: (batch: M[]) => Promise<A>;
  refused: (mutation: M, error: { status?: number; message?: string }) => Promise<unknown>;
  answered: (batch: M[], answer: A) => Promise<boolean>;
}

/**
 * Send `batch`; on a poison answer split it and send the halves, in order, until each refused
 * mutation is alone. `send(batch)` resolves to the server's answer or throws its HttpError;
 * `refused(mutation, error)` records one mutation the server will not take; `answered(batch,
 * answer)` records a 200 and returns false if the server left some unanswered (stop for now).
 * Anything that is not a poison answer (network, 5xx, 401, 409, 429) propagates: the rest of
 * the batch stays queued, unchanged, for a later retry.
 */
export async function sendIsolating<M, A>(batch: M[], { send, refused, answered }: Isolation<M, A>): Promise<boolean> {
  let answer: A;
  try {
    answer = await send(batch);
  } catch (e) {
    const err = e as { status?: number; message?: string };
    if (!isPoisonStatus(err?.status)) throw e;
    if (batch.length === 1) {
      await refused(batch[0] as M, err);
      return true;
    }
    const mid = Math.ceil(batch.length / 2);
    if (!(await sendIsolating(batch.slice(0, mid), { send, refused, answered }))) return false;
    return sendIsolating(batch.slice(mid), { send, refused, answered });
  }
  return answered(batch, answer);
}

/** The words of a mutation an engineer would want back if it cannot be synced; `words(key)`
 * translates a status action's code (`a_accept`) for the screen. */
export function mutationText(m: Pick<Mutation, 'name' | 'args'> | null | undefined, words: ((key: string) => string) | null = null): string {
  const a = m?.args || {};
  switch (m?.name) {
    case 'note.add':
    case 'note.edit':
      return String(a.body ?? '');
    case 'ticket.transition':
      return [words && a.action ? words(`a_${a.action}`) : a.action, a.reason].filter(Boolean).join(': ');
    case 'signoff.submit':
      return [a.signer_name, a.comment].filter(Boolean).join(' — ');
    case 'part.consume':
      return `${a.part_id ?? ''} × ${a.quantity ?? ''}`;
    default:
      return JSON.stringify(a);
  }
}
