import { LoadStats, createBalancer, type Balancer, type BalancerPolicy } from "../balancer/index";
import type { ServiceConfig } from "../model/service";
import { type IntentionIndex, indexIntentions } from "../policy/intentions";
import type { Snapshot, SnapshotOrigin } from "../model/snapshot";
import { PassiveHealth } from "./passive";
import { compileRoutes, type RouteMatcher } from "./route-table";
import { steerRuntime, type SteerRuntime } from "./steer-runtime";

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
}

/**
 * Reads the registry's snapshot if it is newer than `knownVersion` (null when
 * it is not). With `waitMs` > 0 it is a blocking query: it answers when the
 * version moves, or null once `waitMs` has passed without a change.
 */
export type SnapshotSource = (knownVersion: number, waitMs: number) => Promise<Snapshot | null>;

/** How long a background refresh waits for a change (a blocking query); under the registry's cap. */
export const POLL_WAIT_MS = 20_000;
/** A blocking query not back this long after its wait is presumed lost (its request context died) and replaced. */
const POLL_GRACE_MS = 5_000;

/**
 * The per-isolate snapshot cache. Requests are served from memory. In the
 * background one blocking query at a time (single-flight) asks the registry
 * for a version newer than the table's: it answers as soon as something
 * changes, or empty after `pollMs`, so a new table arrives within
 * milliseconds of a change while an idle registry sees one call per isolate
 * per `pollMs`, whatever the request rate. A new query starts at most once
 * per `minIntervalMs` (about once a second). After `invalidate()` (a write
 * made through this isolate) the next `get` waits for a table that includes
 * the write.
 */
export class RoutingCache {
  #state: RoutingState | null = null;
  /** Fetch order: a table is installed only if its fetch started after the installed one's. */
  #seq = 0;
  #installedSeq = 0;
  #inflight: Promise<RoutingState> | null = null;
  #inflightGen = 0;
  #wanted = 0;
  #have = -1;
  #pollStartedAt: number | null = null;
  #lastPollAt = Number.NEGATIVE_INFINITY;
  readonly #balancers = new Map<string, Balancing>();
  /** In-flight counts and latency estimates, keyed `service/origin`. */
  readonly load = new LoadStats();
  /** Passive outlier detection, keyed `service/origin`. */
  readonly passive = new PassiveHealth();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly minIntervalMs = 1000,
    private readonly pollMs = POLL_WAIT_MS,
  ) {}

  /** The current table, refreshing it first when there is none or a local write made it stale. */
  async get(source: SnapshotSource, waitUntil: (p: Promise<unknown>) => void): Promise<RoutingState> {
    const state = this.#state;
    if (state === null || this.#have < this.#wanted) return this.#refreshAfter(source, this.#wanted);
    const now = this.clock();
    const polling = this.#pollStartedAt !== null && now - this.#pollStartedAt < this.pollMs + POLL_GRACE_MS;
    if (!polling && now - this.#lastPollAt >= this.minIntervalMs) waitUntil(this.#poll(source, state.version, now));
    return state;
  }

  /** Marks the table stale: the next `get` waits for a fresh snapshot. */
  invalidate(): void {
    this.#wanted++;
  }

  async #poll(source: SnapshotSource, known: number, now: number): Promise<void> {
    this.#pollStartedAt = now;
    this.#lastPollAt = now;
    const seq = ++this.#seq;
    try {
      const snapshot = await source(known, this.pollMs);
      if (snapshot !== null) this.#install(snapshot, seq);
    } catch (err) {
      console.error("routing table refresh failed", err);
    } finally {
      if (this.#pollStartedAt === now) this.#pollStartedAt = null;
    }
  }

  async #refreshAfter(source: SnapshotSource, gen: number): Promise<RoutingState> {
    if (this.#inflight !== null && this.#inflightGen >= gen) return this.#inflight;
    if (this.#inflight !== null) await this.#inflight.catch(() => {});
    if (this.#have >= gen && this.#state) return this.#state;
    return this.#refresh(source);
  }

  #refresh(source: SnapshotSource): Promise<RoutingState> {
    if (this.#inflight !== null) return this.#inflight;
    const gen = this.#wanted;
    this.#inflightGen = gen;
    const seq = ++this.#seq;
    const run = (async () => {
      const snapshot = await source(this.#state?.version ?? -1, 0);
      if (snapshot !== null) this.#install(snapshot, seq);
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
  #install(snapshot: Snapshot, seq: number): void {
    if (seq < this.#installedSeq) return;
    this.#installedSeq = seq;
    this.#state = this.#build(snapshot);
  }

  #build(snapshot: Snapshot): RoutingState {
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
      intentions: indexIntentions(snapshot.intentions ?? [], true),
      certs: new Map((snapshot.identities ?? []).map((i) => [i.cert_subject_dn, i.service])),
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
