import { LoadStats, createBalancer, type Balancer, type BalancerPolicy } from "../balancer/index";
import type { ServiceConfig } from "../model/service";
import type { Snapshot, SnapshotOrigin } from "../model/snapshot";
import { compileRoutes, type RouteMatcher } from "./route-table";

/** A service as the data plane holds it between snapshot refreshes. */
export interface ServiceRuntime {
  config: ServiceConfig;
  origins: SnapshotOrigin[];
  balancer: Balancer;
  /** Memo of the eligible set, owned by `eligible.ts`. */
  memo?: unknown;
}

/** One isolate's routing table, built from a registry snapshot. */
export interface RoutingState {
  version: number;
  fetchedAt: number;
  matcher: RouteMatcher;
  services: Map<string, ServiceRuntime>;
}

/** Reads the registry's snapshot if it is newer than `knownVersion` (null when it is not). */
export type SnapshotSource = (knownVersion: number) => Promise<Snapshot | null>;

/**
 * The per-isolate snapshot cache. Requests are served from memory; once the
 * table is older than `maxAgeMs` one background refresh runs (single-flight),
 * so the registry sees about one call per second per busy isolate, whatever
 * the request rate. After `invalidate()` (a write made through this isolate)
 * the next `get` waits for a table that includes the write.
 */
export class RoutingCache {
  #state: RoutingState | null = null;
  #inflight: Promise<RoutingState> | null = null;
  #inflightGen = 0;
  #wanted = 0;
  #have = -1;
  readonly #balancers = new Map<string, { policy: BalancerPolicy; balancer: Balancer }>();
  /** In-flight counts and latency estimates, keyed `service/origin`. */
  readonly load = new LoadStats();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxAgeMs = 1000,
  ) {}

  /** The current table, refreshing it first when there is none or a local write made it stale. */
  async get(source: SnapshotSource, waitUntil: (p: Promise<unknown>) => void): Promise<RoutingState> {
    const state = this.#state;
    if (state === null || this.#have < this.#wanted) return this.#refreshAfter(source, this.#wanted);
    if (this.clock() - state.fetchedAt >= this.maxAgeMs && this.#inflight === null) {
      waitUntil(this.#refresh(source).catch((err) => console.error("routing table refresh failed", err)));
    }
    return state;
  }

  /** Marks the table stale: the next `get` waits for a fresh snapshot. */
  invalidate(): void {
    this.#wanted++;
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
    const run = (async () => {
      const snapshot = await source(this.#state?.version ?? -1);
      const now = this.clock();
      const next = snapshot === null ? { ...this.#state!, fetchedAt: now } : this.#build(snapshot, now);
      this.#state = next;
      this.#have = Math.max(this.#have, gen);
      return next;
    })();
    this.#inflight = run;
    const clear = () => {
      if (this.#inflight === run) this.#inflight = null;
    };
    run.then(clear, clear);
    return run;
  }

  #build(snapshot: Snapshot, now: number): RoutingState {
    const services = new Map<string, ServiceRuntime>();
    for (const config of snapshot.services) {
      services.set(config.name, { config, origins: [], balancer: this.#balancerFor(config) });
    }
    for (const origin of snapshot.origins) services.get(origin.service)?.origins.push(origin);
    for (const name of this.#balancers.keys()) if (!services.has(name)) this.#balancers.delete(name);
    this.load.forget(snapshot.origins.map((o) => `${o.service}/${o.id}`));
    return { version: snapshot.version, fetchedAt: now, matcher: compileRoutes(snapshot.services), services };
  }

  /** Keeps a service's balancer (and its round-robin position) across refreshes while its policy is unchanged. */
  #balancerFor(config: ServiceConfig): Balancer {
    const policy = config.load_balancer.policy;
    const existing = this.#balancers.get(config.name);
    if (existing && existing.policy === policy) return existing.balancer;
    const balancer = createBalancer(policy, this.load);
    this.#balancers.set(config.name, { policy, balancer });
    return balancer;
  }
}
