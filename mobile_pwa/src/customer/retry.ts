// "Try again in …" for a refused report (429). Retry-After counts seconds; an hour's limit read
// "try again in 3387 seconds" to a customer standing at the machine, so from 90 s on it says
// minutes.
import { t } from '../lib/i18n.js';

export function retryText(retryAfter: string | null | undefined): string {
  const s = Math.max(1, Math.ceil(Number(retryAfter) || 60));
  return s < 90 ? t('rate_limited', { s }) : t('rate_limited_min', { m: Math.ceil(s / 60) });
}
