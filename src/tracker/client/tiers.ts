/** BEP 12 announce-list tiers, as pure functions over arrays. */

/**
 * Tiers ready to use: URLs trimmed, duplicates (also across tiers) and empty tiers dropped,
 * at most `maxUrls` in all, and each tier shuffled (BEP 12: "shuffle each tier").
 */
export function prepareTiers(tiers: string[][], random: () => number = Math.random, maxUrls = 100): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const tier of tiers) {
    const t: string[] = [];
    for (const raw of tier) {
      const url = raw.trim();
      if (url === '' || seen.has(url) || seen.size >= maxUrls) continue;
      seen.add(url);
      t.push(url);
    }
    if (t.length > 0) out.push(shuffle(t, random));
  }
  return out;
}

function shuffle<T>(a: T[], random: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** BEP 12: the tracker that answered moves to the front of its tier (in place). */
export function promote<T>(tier: T[], index: number): void {
  if (index <= 0 || index >= tier.length) return;
  const [t] = tier.splice(index, 1);
  tier.unshift(t!);
}

/** The order in which one announce round tries trackers: tier by tier, front to back. */
export function* attemptOrder<T>(tiers: T[][]): Generator<{ tier: T[]; index: number; item: T }> {
  for (const tier of tiers) {
    // a snapshot, so promoting during the walk does not skip or repeat anyone
    const items = [...tier];
    for (const item of items) yield { tier, index: tier.indexOf(item), item };
  }
}
