import { weightedPick } from "./random";
import type { Balancer, Endpoint } from "./types";

/**
 * Maglev lookup-table size. It must be prime (so every skip visits every slot) and well above
 * the endpoint count: Maglev keeps each endpoint within ~1% of its share when M ≳ 100·N, so
 * 16381 serves up to ~160 origins. Envoy's 65537 would cost ~4 ms per rebuild instead of ~1 ms,
 * and slow start changes weights often enough to make rebuilds a hot-path cost.
 */
export const MAGLEV_TABLE_SIZE = 16381;

const EMPTY = 0xffffffff;

interface Table {
  readonly key: string;
  readonly endpoints: readonly Endpoint[];
  readonly slots: Uint32Array;
}

/**
 * Consistent hashing with Maglev: a key always maps to the same endpoint while the set is
 * unchanged, and removing one of N endpoints moves only about 1/N of keys. Without a key it
 * falls back to weighted random. Use one instance per service; it caches the table of each
 * endpoints array it is given (so a retry's shorter list does not cost the full list its table)
 * and reuses the last one for a new array with the same endpoints and weights.
 * @example consistentHash().pick(endpoints, { rng, now, hashKey: clientIp })
 */
export function consistentHash(tableSize = MAGLEV_TABLE_SIZE): Balancer {
  const tables = new WeakMap<readonly Endpoint[], Table>();
  let latest: Table | undefined;

  return {
    pick(endpoints, { rng, hashKey }) {
      if (hashKey === null || hashKey === undefined) return weightedPick(endpoints, rng());
      let table = tables.get(endpoints);
      if (table === undefined) {
        const key = setKey(endpoints);
        table = latest?.key === key ? latest : buildTable(endpoints, key, tableSize);
        tables.set(endpoints, table);
      }
      latest = table;
      if (table.endpoints.length === 0) return undefined;
      return table.endpoints[table.slots[hash32(hashKey, 0) % tableSize]!]!;
    },
  };
}

/** FNV-1a over UTF-16 code units, then murmur3's finalizer: FNV alone mixes short ids poorly. */
export function hash32(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Slow start moves effective weights a little on every request; keeping two significant digits
// (at most 5% off) bounds a ramp to a few dozen rebuilds instead of one per pick.
function quantize(weight: number): number {
  return Number(weight.toPrecision(2));
}

// Length-prefixed so that no two different sets share a key.
function setKey(endpoints: readonly Endpoint[]): string {
  let key = "";
  for (const e of endpoints) if (e.weight > 0) key += `${e.id.length}:${e.id}=${quantize(e.weight)};`;
  return key;
}

// Envoy's weighted Maglev: each endpoint in turn claims the next free slot of its own
// permutation of the table; one at the largest weight takes a turn every round, one at a third
// of it every third round. Sorting by id makes the table independent of list order.
function buildTable(endpoints: readonly Endpoint[], key: string, size: number): Table {
  const eligible = endpoints.filter((e) => e.weight > 0).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = eligible.length;
  const slots = new Uint32Array(size).fill(EMPTY);
  if (n === 0) return { key, endpoints: eligible, slots };
  const pos = new Int32Array(n);
  const skip = new Int32Array(n);
  const turns = new Float64Array(n);
  const weight = eligible.map((e) => quantize(e.weight));
  const maxWeight = Math.max(...weight);
  for (let i = 0; i < n; i++) {
    const id = eligible[i]!.id;
    pos[i] = hash32(id, 0x9e3779b9) % size;
    skip[i] = (hash32(id, 0x7f4a7c15) % (size - 1)) + 1;
  }
  let filled = 0;
  for (let round = 0; filled < size; round++) {
    for (let i = 0; i < n && filled < size; i++) {
      if (round * weight[i]! < turns[i]!) continue;
      turns[i]! += maxWeight;
      const step = skip[i]!;
      let c = pos[i]!;
      while (slots[c] !== EMPTY) if ((c += step) >= size) c -= size;
      slots[c] = i;
      pos[i] = c + step >= size ? c + step - size : c + step;
      filled++;
    }
  }
  return { key, endpoints: eligible, slots };
}
