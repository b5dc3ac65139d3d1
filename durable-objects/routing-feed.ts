/**
 * What the routing feed reads from the registry's storage: the version,
 * and services and origins as the JSON the data plane receives (their
 * routing projection, `SnapshotOrigin`). `null` means "does not exist".
 */
export interface FeedReader {
  version(): number;
  services(): [name: string, json: string][];
  /** Every origin, or those of one service. */
  origins(service?: string): [service: string, id: string, json: string][];
  service(name: string): string | null;
  origin(service: string, id: string): string | null;
  /** Intentions and certificate identities as JSON (`SnapshotPolicy`); every answer carries them whole. */
  policy?(): string;
}

/** How much history the feed keeps for deltas, and how often it re-reads everything to be safe. */
export interface FeedLimits {
  /** Most versions a delta can span. */
  entries: number;
  /** Most changed items held in the history, all entries together. */
  items: number;
  /** After this long the next change re-reads the whole table and diffs it, whatever was touched. */
  rereadMs: number;
}

export const FEED_LIMITS: FeedLimits = { entries: 256, items: 20_000, rereadMs: 300_000 };

/** A change to one item: its new JSON, or null when it is gone. */
type Changes = Map<string, string | null>;

interface Entry {
  from: number;
  to: number;
  services: Changes;
  /** Keyed `service id`. */
  origins: Changes;
}

interface Table {
  version: number;
  readAt: number;
  services: Map<string, string>;
  origins: Map<string, string>;
  /** Origin keys by service, so a service's origins can be found without a scan. */
  byService: Map<string, Set<string>>;
  /** Length of the whole table's JSON, kept as items change. */
  bytes: number;
}

// A space sorts before every character a name may hold, so keys sort by service, then id.
const keyOf = (service: string, id: string) => `${service} ${id}`;
const splitKey = (key: string): [string, string] => {
  const at = key.indexOf(" ");
  return [key.slice(0, at), key.slice(at + 1)];
};

/**
 * The registry's routing feed: each version's answer is serialised once
 * and the same text handed to every isolate that asks; an isolate holding
 * an earlier version gets only what changed since (a delta) when that is
 * smaller than the whole table. The registry tells it which rows were
 * written (`touch`); on the next version it re-reads only those, compares
 * their JSON with what it holds, and records what really changed. In
 * memory only: after an eviction it starts again from a full read, and
 * isolates get the whole table once.
 * @example const text = feed.answer(knownVersion) // null when knownVersion is current
 */
export class RoutingFeed {
  #table: Table | null = null;
  #log: Entry[] = [];
  #logItems = 0;
  #touchedServices = new Set<string>();
  #touchedOrigins = new Set<string>();
  /** Answers at the table's version, by the version the asker holds ("full": the whole table). */
  readonly #answers = new Map<string, string>();

  constructor(
    private readonly reader: FeedReader,
    private readonly clock: () => number = Date.now,
    private readonly limits: FeedLimits = FEED_LIMITS,
  ) {}

  /** A row was written (id null: the service row, or the service and all its origins were deleted). */
  touch(service: string, id: string | null): void {
    if (id === null) this.#touchedServices.add(service);
    else this.#touchedOrigins.add(keyOf(service, id));
  }

  /** The answer for an isolate that holds `known` (-1: nothing); null when it is current. */
  answer(known: number): string | null {
    const version = this.reader.version();
    if (known === version) return null;
    this.#advance(version);
    const cached = this.#answers.get(String(known));
    if (cached !== undefined) return cached;
    // Every isolate holding `known` gets this same text until the version moves.
    const text = this.#delta(known) ?? this.#full();
    this.#answers.set(String(known), text);
    return text;
  }

  /** Versions a delta can start from, oldest first (for tests and diagnostics). */
  history(): number[] {
    return this.#log.map((e) => e.from);
  }

  #advance(version: number): void {
    const table = this.#table;
    if (table !== null && table.version === version) return;
    this.#answers.clear();
    // A version that moved with no row written through the registry's own store was written some other
    // way (a migration, a test's own store): only a full re-read can tell what changed.
    const untold = this.#touchedServices.size === 0 && this.#touchedOrigins.size === 0;
    if (table === null || untold || this.clock() - table.readAt >= this.limits.rereadMs) {
      const fresh = this.#readAll(version);
      if (table !== null) this.#record(table, diff(table, fresh), version);
      else this.#log = [];
      this.#table = fresh;
    } else {
      this.#record(table, this.#reread(table), version);
      table.version = version;
    }
    this.#touchedServices.clear();
    this.#touchedOrigins.clear();
  }

  /** Re-reads what was touched since the table's version and applies it to the table; returns what changed. */
  #reread(table: Table): Omit<Entry, "from" | "to"> {
    const services: Changes = new Map();
    const origins: Changes = new Map();
    const setOrigin = (key: string, json: string | null) => {
      const old = table.origins.get(key) ?? null;
      if (old === json) return;
      origins.set(key, json);
      table.bytes += (json === null ? -1 : json.length + 1) - (old === null ? -1 : old.length + 1);
      const [service] = splitKey(key);
      if (json === null) {
        table.origins.delete(key);
        table.byService.get(service)?.delete(key);
      } else {
        table.origins.set(key, json);
        let keys = table.byService.get(service);
        if (!keys) table.byService.set(service, (keys = new Set()));
        keys.add(key);
      }
    };
    for (const name of this.#touchedServices) {
      const json = this.reader.service(name);
      const old = table.services.get(name) ?? null;
      if (old !== json) {
        services.set(name, json);
        table.bytes += (json === null ? -1 : json.length + 1) - (old === null ? -1 : old.length + 1);
        if (json === null) table.services.delete(name);
        else table.services.set(name, json);
      }
      // A deleted (or deleted and re-created) service takes its origins with it: read them all.
      const now = new Map(this.reader.origins(name).map(([s, id, j]) => [keyOf(s, id), j]));
      for (const key of [...(table.byService.get(name) ?? [])]) if (!now.has(key)) setOrigin(key, null);
      for (const [key, j] of now) setOrigin(key, j);
    }
    for (const key of this.#touchedOrigins) setOrigin(key, this.reader.origin(...splitKey(key)));
    return { services, origins };
  }

  #readAll(version: number): Table {
    const services = new Map(this.reader.services());
    const origins = new Map<string, string>();
    const byService = new Map<string, Set<string>>();
    let bytes = 0;
    for (const json of services.values()) bytes += json.length + 1;
    for (const [service, id, json] of this.reader.origins()) {
      const key = keyOf(service, id);
      origins.set(key, json);
      let keys = byService.get(service);
      if (!keys) byService.set(service, (keys = new Set()));
      keys.add(key);
      bytes += json.length + 1;
    }
    return { version, readAt: this.clock(), services, origins, byService, bytes };
  }

  #record(table: Table, changes: Omit<Entry, "from" | "to">, version: number): void {
    this.#log.push({ from: table.version, to: version, ...changes });
    this.#logItems += changes.services.size + changes.origins.size;
    while (this.#log.length > this.limits.entries || (this.#logItems > this.limits.items && this.#log.length > 0)) {
      const dropped = this.#log.shift()!;
      this.#logItems -= dropped.services.size + dropped.origins.size;
    }
  }

  /** The delta from `known` to the table's version, when the history reaches back to it and it is smaller than the table. */
  #delta(known: number): string | null {
    const start = this.#log.findIndex((e) => e.from === known);
    if (start === -1) return null;
    const services: Changes = new Map();
    const origins: Changes = new Map();
    for (const entry of this.#log.slice(start)) {
      for (const [k, v] of entry.services) services.set(k, v);
      for (const [k, v] of entry.origins) origins.set(k, v);
    }
    const put = (changes: Changes) => [...changes.values()].filter((j) => j !== null).join(",");
    const gone = (changes: Changes, f: (k: string) => unknown) =>
      JSON.stringify([...changes].filter(([, j]) => j === null).map(([k]) => f(k)));
    const text =
      `{"kind":"delta","from":${known},"version":${this.#table!.version},"services":[${put(services)}],` +
      `"removed_services":${gone(services, (k) => k)},"origins":[${put(origins)}],` +
      `"removed_origins":${gone(origins, splitKey)}${this.#policy()}}`;
    return text.length < this.#table!.bytes ? text : null;
  }

  /** The `policy` member of an answer, or nothing for a reader that has none. */
  #policy(): string {
    const policy = this.reader.policy?.();
    return policy === undefined ? "" : `,"policy":${policy}`;
  }

  #full(): string {
    const cached = this.#answers.get("full");
    if (cached !== undefined) return cached;
    const t = this.#table!;
    const sorted = (m: Map<string, string>) =>
      [...m.keys()]
        .sort()
        .map((k) => m.get(k)!)
        .join(",");
    const text =
      `{"kind":"full","version":${t.version},"services":[${sorted(t.services)}],` +
      `"origins":[${sorted(t.origins)}]${this.#policy()}}`;
    this.#answers.set("full", text);
    return text;
  }
}

/** What changed from table `a` to table `b`, every item compared. */
function diff(a: Table, b: Table): Omit<Entry, "from" | "to"> {
  const changes = (x: Map<string, string>, y: Map<string, string>): Changes => {
    const out: Changes = new Map();
    for (const [k, v] of y) if (x.get(k) !== v) out.set(k, v);
    for (const k of x.keys()) if (!y.has(k)) out.set(k, null);
    return out;
  };
  return { services: changes(a.services, b.services), origins: changes(a.origins, b.origins) };
}
