// Which tokens the page sends. The service worker syncs in the background with its own api
// client and may refresh, which rotates the refresh token and stores the new pair in
// IndexedDB. The page must then use that pair: refreshing with the copy it held in memory
// would present a retired refresh token, which the server treats as theft and ends the session.
import type { Tokens } from '../lib/api.js';
import { type Db, getMeta } from './db.js';

export async function sharedTokens(db: Db, app: { tokens: Tokens | null }): Promise<Tokens | null> {
  const stored = await getMeta<Tokens>(db, 'tokens');
  if (stored) app.tokens = stored;
  return app.tokens;
}
