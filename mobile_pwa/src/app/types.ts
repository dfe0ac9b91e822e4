// The engineer app's data, typed from the served OpenAPI document (src/lib/api-schema.d.ts):
// what a pull brings per collection, and what the phone adds on top while work is queued.

import type { components } from '../lib/api.js';
import type { Api, Tokens } from '../lib/api.js';
import type { Db } from './db.js';

type S = components['schemas'];

export type Status = S['TicketsEntity']['status'];
export type Action = S['TicketsEntity']['allowed_actions'][number];

/** A status change: the server's, or one queued on this phone (`_pending`). */
export type HistoryEntry = S['PhoneHistoryOut'] & { _pending?: boolean };

/** Marks the phone puts on a row it replayed a queued mutation onto. */
interface Local {
  _pending?: boolean;
  _stale?: boolean;
  _mutation?: string;
}

export type Ticket = Omit<S['TicketsEntity'], 'history'> & Local & { history: HistoryEntry[] };

/** A child row made offline from a mutation's arguments, until the pull brings the real one. */
export type Queued = Local & { id: string; ticket_id?: string; created_at?: string } & Record<string, unknown>;

export type NoteRow = (S['NotesEntity'] & Local) | Queued;
export type PhotoRow = (S['PhotosEntity'] & Local) | (Queued & { uploaded?: boolean });
export type PartUsageRow = (S['PartUsagesEntity'] & Local) | Queued;
export type StatementRow = (S['PartsStatementsEntity'] & Local) | Queued;
export type SignoffRow = (S['SignoffsEntity'] & Local) | Queued;
export type StockRow = Omit<S['StockLevelsEntity'], 'quantity'> & Local & { quantity: number | string };
export type PartRow = S['PartsEntity'];
export type ConflictRow = S['ConflictsEntity'];

type Rows<T> = Record<string, T>;

/** Confirmed server state (as pulled) or the view (confirmed + queued work replayed). */
export interface State {
  tickets: Rows<Ticket>;
  notes: Rows<NoteRow>;
  photos: Rows<PhotoRow>;
  part_usages: Rows<PartUsageRow>;
  parts_statements: Rows<StatementRow>;
  signoffs: Rows<SignoffRow>;
  stock_levels?: Rows<StockRow>;
  parts?: Rows<PartRow>;
  conflicts?: Rows<ConflictRow>;
  [kind: string]: Rows<unknown> | undefined;
}

/** What was pulled, before the view's collections are filled in. */
export type Confirmed = Partial<State>;

export type MutationStatus = 'pending' | 'acked' | 'conflict' | 'rejected';
export type MutationResult = S['MutationResultOut'] | { id: string; status: 'rejected'; error: string; local: true };

/** A queued mutation as IndexedDB keeps it (`seq` is the queue's order). */
export interface Mutation {
  seq: number;
  id: string;
  name: string;
  args: Record<string, any>;
  status: MutationStatus;
  created_at?: string;
  result?: MutationResult;
  acknowledged?: boolean;
  ticket_label?: string;
}

/** Photo bytes waiting for upload (and the small copy shown meanwhile). */
export interface Blob_ {
  id: string;
  ticket_id: string;
  sha256: string;
  content_type: string;
  bytes: ArrayBuffer | null;
  thumb?: ArrayBuffer;
  uploaded: boolean;
  mutation_id: string;
  error?: string | null;
  status?: number;
}

export type User = S['UserBriefOut'];

/** The page's state, shared by the screens. */
export interface App {
  db: Db;
  api: Api;
  sync: import('./sync.js').Sync;
  user: User | null;
  tokens: Tokens | null;
  confirmed: Confirmed;
  queue: Mutation[];
  blobs: Blob_[];
  view: State;
  online: boolean;
  position: [number, number] | null;
  drafts: Record<string, string>;
  ackedConflicts: Set<string>;
  lastSyncStored: string | null;
  push: string | null;
  thumbs?: Map<string, string>;
  sigCache?: Map<string, SignaturePadCache>;
  askLocation?: () => void;
  mutate: (name: string, args: Record<string, unknown>) => Promise<Mutation>;
}

export interface SignaturePadCache {
  el: HTMLElement;
  canvas: HTMLCanvasElement;
  pad: import('signature_pad').default;
  label: () => void;
}
