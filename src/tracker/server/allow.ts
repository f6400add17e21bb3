import { UsageError } from '../../util/errors.js';

/** An allow-list file: one 40-digit hex info hash per line; blank lines and # comments ignored. */
export function parseAllowList(text: string, name = 'allow list'): Set<string> {
  const out = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (!/^[0-9a-fA-F]{40}$/.test(line)) {
      throw new UsageError('BAD_ALLOW_LIST', `${name}, line ${i + 1}: expected a 40-digit hex info hash, got "${line.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')}"`);
    }
    out.add(line.toLowerCase());
  });
  return out;
}
