import { describe, expect, it } from 'vitest';
import { checklist, missing, requirements } from '../src/app/completion.js';

const ticket = (extra = {}) => ({ id: 't1', priority: 'P3', status: 'in_progress', ...extra });

describe('the completion checklist follows the server', () => {
  it("uses the requirements the server sent with the ticket, a deployment's own rules", () => {
    const tk = ticket({ completion: { requirements: { signature: false, photos: 2, parts: false } } });
    expect(requirements(tk)).toEqual({ signature: false, photos: 2, parts: false });
    const view = { photos: { p1: { id: 'p1', ticket_id: 't1' } } };
    expect(missing(view, tk)).toEqual(['photos']);
    expect(checklist(view, tk)).toEqual([{ key: 'photos', ok: false, need: 2, have: 1 }]);
  });

  it("falls back to the server's generated default layer for a ticket pulled before it sent them", () => {
    expect(requirements(ticket({ priority: 'P1' }))).toEqual({ signature: true, photos: 0, parts: true });
    expect(missing({}, ticket())).toEqual(['signature', 'parts']);
  });

  it('counts a parts statement and an accepted signature as evidence, a conflicting one not', () => {
    const tk = ticket({ completion: { requirements: { signature: true, photos: 0, parts: true } } });
    const view = {
      parts_statements: { s1: { id: 's1', ticket_id: 't1' } },
      signoffs: { g1: { id: 'g1', ticket_id: 't1', status: 'conflict' } },
    };
    expect(missing(view, tk)).toEqual(['signature']);
    view.signoffs.g2 = { id: 'g2', ticket_id: 't1', status: 'accepted' };
    expect(missing(view, tk)).toEqual([]);
  });
});
