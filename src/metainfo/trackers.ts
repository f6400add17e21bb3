import type { BDict } from '../bencode/decode.js';
import { isBytes, isList } from '../bencode/types.js';
import { shown } from './fields.js';

/**
 * BEP 12: when `announce-list` holds at least one usable URL it replaces `announce`;
 * tiers stay tiers, in file order. Entries that are not strings are dropped with a
 * warning rather than failing the torrent: a bad tracker entry does not make the data
 * unusable.
 */
export function parseAnnounce(root: BDict, warnings: string[]): string[][] {
  const tiers: string[][] = [];
  const seen = new Set<string>();
  const list = root['announce-list'];
  if (list !== undefined) {
    if (!isList(list)) {
      warnings.push('ignored "announce-list": not a list');
    } else {
      list.forEach((tier, i) => {
        if (!isList(tier)) {
          warnings.push(`ignored "announce-list[${i}]": not a list`);
          return;
        }
        const urls: string[] = [];
        for (const u of tier) {
          const url = trackerUrl(u, `announce-list[${i}]`, warnings);
          if (url !== undefined && !seen.has(url)) {
            seen.add(url);
            urls.push(url);
          }
        }
        if (urls.length > 0) tiers.push(urls);
      });
    }
  }
  if (tiers.length === 0 && root.announce !== undefined) {
    const url = trackerUrl(root.announce, 'announce', warnings);
    if (url !== undefined) tiers.push([url]);
  }
  return tiers;
}

/** BEP 19 `url-list`: a single string or a list of strings. */
export function parseUrlList(root: BDict, warnings: string[]): string[] {
  const v = root['url-list'];
  if (v === undefined) return [];
  const items = isList(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    if (!isBytes(item)) {
      warnings.push('ignored an entry of "url-list": not a string');
      continue;
    }
    const url = item.toString('utf8').trim();
    if (url !== '' && !out.includes(url)) out.push(url);
  }
  return out;
}

function trackerUrl(v: BDict[string], field: string, warnings: string[]): string | undefined {
  if (!isBytes(v)) {
    warnings.push(`ignored an entry of "${field}": not a string`);
    return undefined;
  }
  const url = v.toString('utf8').trim();
  if (url === '') return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    warnings.push(`ignored tracker ${shown(url)} in "${field}": not a URL`);
    return undefined;
  }
  return url;
}
