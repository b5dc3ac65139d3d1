import { LoadStats, createBalancer, type Balancer, type BalancerPolicy } from "../balancer/index";
import type { ServiceConfig } from "../model/service";
import { type IntentionIndex, indexIntentions } from "../policy/intentions";
import type { Snapshot, SnapshotOrigin } from "../model/snapshot";
import { PassiveHealth } from "./passive";
import { compileRoutes, type RouteMatcher } from "./route-table";
import { steerRuntime, type SteerRuntime } from "./steer-runtime";
import type { TableCache } from "./table-cache";

/** A service as the data plane holds it between snapshot refreshes. */
export interface ServiceRuntime {
  config: ServiceConfig;
  origins: SnapshotOrigin[];
  balancer: Balancer;
  /** Pools, steering and affinity (SPEC §7); null or absent when the service uses none of them. */
  steer?: SteerRuntime | null;
  /** Memo of the eligible set, owned by `eligible.ts`. */
  memo?: unknown;
}

/** One isolate's routing table, built from a registry snapshot. */
export interface RoutingState {
  version: number;
  matcher: RouteMatcher;
  services: Map<string, ServiceRuntime>;
  /** Intentions by pair (their default is decided per request from MESH_DEFAULT_INTENTION). */
  intentions: IntentionIndex;
  /** Verified client certificate subject DN → the service it is. */
  certs: ReadonlyMap<string, string>;
  /**
   * Null when the table came from the registry. Set while it is the colo's
   * cached copy (a cold isolate that could not reach the registry in time):
   * when the registry last confirmed that copy (epoch ms).
   */
  staleSince: number | null;
}

/**
 * Reads the registry's snapshot if it is newer than `knownVersion` (null when
 * it is not). With `waitMs` > 0 it is a blocking query: it answers when the
 * version moves, or null once `waitMs` has passed without a change. `base`
 * is the table the caller holds at `knownVersion`, for a source that sends deltas.
 */
export type SnapshotSource = (knownVersion: number, waitMs: number, base?: Snapshot | null) => Promise<Snapshot | null>;

/** How long a background refresh waits for a change (a blocking query); under the registry's cap. */
export const POLL_WAIT_MS = 20_000;
/** A blocking query not back this long after its wait is presumed lost (its request context died) and replaced. */
const POLL_GRACE_MS = 5_000;
/** How long a cold isolate waits for the registry before it routes from the colo's cached table (SPEC §8). */
export const COLD_WAIT_MS = 1_000;
/** Most often an isolate writes its table to the colo's cache (SPEC §8). */
export const CACHE_SAVE_INTERVAL_MS = 10_000;

type WaitUntil = (p: Promise<unknown>) => void;

/**
 * The per-isolate snapshot cache. Requests are served from memory. In the
 * background one blocking query at a time (single-flight) asks the registry
 * for a version newer than the table's: it answers as soon as something
 * changes, or empty after `pollMs`, so a new table arrives within
 * milliseconds of a change while an idle registry sees one call per isolate
 * per `pollMs`, whatever the request rate. A new query starts at most once
 * per `minIntervalMs` (about once a second). Proxied requests never wait for
 * a refresh once there is a table: a write made through this isolate waits
 * in `catchUp` (the writer reads its own write; a burst of writes shares one
 * refresh) while traffic keeps the current table, and a failed refresh
 * keeps it too. A cold isolate whose registry read has not answered within
 * `coldWaitMs` routes from the colo's cached copy (`TableCache`), marked stale.
 */
export class RoutingCache {
  #state: RoutingState | null = null;
  /** The table `#state` was built from: the base of the next delta. */
  #snapshot: Snapshot | null = null;
  /** Fetch order: a table is installed only if its fetch started after the installed one's. */
  #seq = 0;
  #installedSeq = 0;
  #inflight: Promise<RoutingState> | null = null;
  #inflightGen = 0;
  #wanted = 0;
  #have = -1;
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #pollStartedAt: number | null = null;
  #lastPollAt = Number.NEGATIVE_INFINITY;
  #savedAt = Number.NEGATIVE_INFINITY;
  #trailing = false;
  readonly #balancers = new Map<string, Balancing>();
  /** In-flight counts and latency estimates, keyed `service/origin`. */
  readonly load = new LoadStats();
  /** Passive outlier detection, keyed `service/origin`. */
  readonly passive = new PassiveHealth();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly minIntervalMs = 1000,
    private readonly pollMs = POLL_WAIT_MS,
    private readonly coldWaitMs = COLD_WAIT_MS,
  ) {}

  /** The current table; the first request of a cold isolate waits for one (at most `coldWaitMs` when `cache` has a copy). */
  async get(source: SnapshotSource, waitUntil: WaitUntil, cache?: TableCache): Promise<RoutingState> {
    const state = this.#state;
    if (state === null) return this.#cold(source, waitUntil, cache);
    const now = this.clock();
    // A write made through this isolate, not yet in the table: one refresh in the background.
    if (this.#have < this.#wanted && this.#inflight === null && now - this.#refreshedAt >= this.minIntervalMs)
      waitUntil(
        this.#refresh(source, waitUntil, cache).catch((err) => console.error("routing table refresh failed", err)),
      );
    const polling = this.#pollStartedAt !== null && now - this.#pollStartedAt < this.pollMs + POLL_GRACE_MS;
    if (!polling && now - this.#lastPollAt >= this.minIntervalMs)
      waitUntil(this.#poll(source, state.version, now, waitUntil, cache));
    return state;
  }

  /**
   * After a write through this isolate: resolves once the table includes it.
   * Writes that finish while a refresh runs share the next one.
   * @example await routing.catchUp(source, waitUntil)
   */
  async catchUp(source: SnapshotSource, waitUntil: WaitUntil, cache?: TableCache): Promise<void> {
    await this.#refreshAfter(source, ++this.#wanted, waitUntil, cache);
  }

  /** Marks the table stale: a refresh runs in the background; requests keep the table meanwhile. */
  invalidate(): void {
    this.#wanted++;
  }

  async #cold(source: SnapshotSource, waitUntil: WaitUntil, cache: TableCache | undefined): Promise<RoutingState> {
    const fetching = this.#refreshAfter(source, this.#wanted, waitUntil, cache);
    if (cache === undefined) return fetching;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), this.coldWaitMs)));
    const first = await Promise.race([
      fetching.then(
        () => "ok" as const,
        () => "failed" as const,
      ),
      late,
    ]);
    clearTimeout(timer);
    if (first === "ok") return fetching;
    // The registry read goes on after this response and installs the table when it answers.
    if (first === "late") waitUntil(fetching.catch(() => {}));
    const cached = await cache.load();
    if (this.#state !== null) return this.#state;
    if (cached === null) return fetching;
    this.#snapshot = cached.snapshot;
    this.#state = this.#build(cached.snapshot, cached.fetchedAt);
    // Nothing was written through this isolate: the poll brings the registry's table from here on.
    this.#have = Math.max(this.#have, this.#wanted);
    return this.#state;
  }

  async #poll(source: SnapshotSource, known: number, now: number, waitUntil: WaitUntil, cache?: TableCache) {
    this.#pollStartedAt = now;
    this.#lastPollAt = now;
    const seq = ++this.#seq;
    try {
      // A cached table asks without waiting: "nothing newer" is then the registry confirming it.
      const wait = this.#state?.staleSince == null ? this.pollMs : 0;
      const snapshot = await source(known, wait, this.#snapshot);
      if (snapshot !== null) this.#install(snapshot, seq, waitUntil, cache);
      else this.#confirm(known, waitUntil, cache);
    } catch (err) {
      console.error("routing table refresh failed", err);
    } finally {
      if (this.#pollStartedAt === now) this.#pollStartedAt = null;
    }
  }

  async #refreshAfter(source: SnapshotSource, gen: number, waitUntil: WaitUntil, cache?: TableCache) {
    if (this.#inflight !== null && this.#inflightGen >= gen) return this.#inflight;
    if (this.#inflight !== null) await this.#inflight.catch(() => {});
    if (this.#have >= gen && this.#state) return this.#state;
    return this.#refresh(source, waitUntil, cache);
  }

  #refresh(source: SnapshotSource, waitUntil: WaitUntil, cache?: TableCache): Promise<RoutingState> {
    if (this.#inflight !== null) return this.#inflight;
    const gen = this.#wanted;
    this.#inflightGen = gen;
    this.#refreshedAt = this.clock();
    const seq = ++this.#seq;
    const run = (async () => {
      const known = this.#state?.version ?? -1;
      const snapshot = await source(known, 0, this.#snapshot);
      if (snapshot !== null) this.#install(snapshot, seq, waitUntil, cache);
      else this.#confirm(known, waitUntil, cache);
      this.#have = Math.max(this.#have, gen);
      return this.#state!;
    })();
    this.#inflight = run;
    const clear = () => {
      if (this.#inflight === run) this.#inflight = null;
    };
    run.then(clear, clear);
    return run;
  }

  /** Installs a fetched table unless a fetch started later already installed one. */
  #install(snapshot: Snapshot, seq: number, waitUntil: WaitUntil, cache?: TableCache): void {
    if (seq < this.#installedSeq) return;
    this.#installedSeq = seq;
    this.#snapshot = snapshot;
    this.#state = this.#build(snapshot, null);
    this.#save(waitUntil, cache);
  }

  /** The registry said the table at `known` is current: a cached copy is no longer stale. */
  #confirm(known: number, waitUntil: WaitUntil, cache?: TableCache): void {
    const state = this.#state;
    if (state === null || state.version !== known) return;
    if (state.staleSince !== null) this.#state = { ...state, staleSince: null };
    this.#save(waitUntil, cache);
  }

  /**
   * Writes the table the registry just gave or confirmed to the colo's
   * cache, at most every CACHE_SAVE_INTERVAL_MS; one skipped for that is
   * written when the interval is up, so the copy is never more than that
   * behind the last table this isolate got.
   */
  #save(waitUntil: WaitUntil, cache: TableCache | undefined): void {
    if (cache === undefined || this.#snapshot === null || this.#state?.staleSince != null) return;
    const wait = this.#savedAt + CACHE_SAVE_INTERVAL_MS - this.clock();
    if (wait > 0) {
      if (this.#trailing) return;
      this.#trailing = true;
      const later = new Promise((resolve) => setTimeout(resolve, wait)).then(() => {
        this.#trailing = false;
        this.#save(waitUntil, cache);
      });
      waitUntil(later);
      return;
    }
    this.#savedAt = this.clock();
    const table = { snapshot: this.#snapshot, fetchedAt: this.#savedAt };
    waitUntil(cache.save(table).catch((err) => console.error("routing table: cache write failed", err)));
  }

  #build(snapshot: Snapshot, staleSince: number | null): RoutingState {
    const services = new Map<string, ServiceRuntime>();
    for (const config of snapshot.services) {
      const { balancer, steer } = this.#balancingFor(config);
      services.set(config.name, { config, origins: [], balancer, steer });
    }
    for (const origin of snapshot.origins) services.get(origin.service)?.origins.push(origin);
    for (const name of this.#balancers.keys()) if (!services.has(name)) this.#balancers.delete(name);
    // Per-origin state of origins that are gone would otherwise grow as origins come and go.
    const present = new Set(snapshot.origins.map((o) => `${o.service}/${o.id}`));
    this.load.forget(present);
    this.passive.forget(present);
    return {
      version: snapshot.version,
      matcher: compileRoutes(snapshot.services),
      services,
      staleSince,
      intentions: indexIntentions(snapshot.policy?.intentions ?? [], true),
      certs: new Map((snapshot.policy?.identities ?? []).map((i) => [i.cert_subject_dn, i.service])),
    };
  }

  /**
   * Keeps a service's balancer (and its round-robin position) across refreshes while its policy
   * is unchanged, and so its pools' balancers; the steering plan is compiled anew.
   */
  #balancingFor(config: ServiceConfig): Balancing {
    const policy = config.load_balancer.policy;
    const existing = this.#balancers.get(config.name);
    const same = existing !== undefined && existing.policy === policy;
    const balancer = same ? existing.balancer : createBalancer(policy, this.load);
    const steer = steerRuntime(config, existing?.steer ?? null, same, () => createBalancer(policy, this.load));
    const balancing = { policy, balancer, steer };
    this.#balancers.set(config.name, balancing);
    return balancing;
  }
}

/** What a service's routing entry keeps across snapshots. */
interface Balancing {
  policy: BalancerPolicy;
  balancer: Balancer;
  steer: SteerRuntime | null;
}
