import { z } from "@hono/zod-openapi";
import { BufferStats } from "./log-buffer";
import { STATUSES } from "./origin";
import { RegionHealthMap } from "./region";
import { Route } from "./service";
import { REGIONS } from "./steering";

/** A cumulative latency histogram: `counts[i]` requests took at most `le[i]` seconds. */
export const Histogram = z.object({
  le: z.array(z.string()),
  counts: z.array(z.number()),
  sum: z.number(),
  count: z.number(),
});

/** Cumulative traffic counters of one origin (or of a service's requests no origin answered). */
export const TrafficStats = z.object({
  requests: z.number(),
  by_class: z.record(z.string(), z.number()),
  /** 5xx answers, the mesh's own included. */
  errors: z.number(),
  retries: z.number(),
  ejections: z.number(),
  latency: Histogram,
  upstream: Histogram,
  p50_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
});

/** An origin's registry state, as metrics and the dashboard show it. */
export const OriginSummary = z.object({
  id: z.string(),
  url: z.string(),
  zone: z.string().nullable(),
  weight: z.number(),
  status: z.enum(STATUSES),
  since: z.string(),
  last_check_ms: z.number().nullable(),
  last_error: z.string().nullable(),
});

/** An origin's registry state with its service, as `Registry.originStates()` answers for the metrics. */
export const OriginState = OriginSummary.extend({ service: z.string() });

const OriginStats = z.object({
  ...OriginSummary.shape,
  ...TrafficStats.shape,
  /** What each checker region sees, when the service has `health_check.regions`. */
  regions: RegionHealthMap.optional(),
});

/** A pool of a service (SPEC §7): the origins whose `zone` names it, and whether enough of them are eligible. */
export const PoolStats = z.object({
  name: z.string(),
  priority: z.number().int(),
  minimum_origins: z.number().int(),
  /** Pool origins whose status lets them take new requests (`unknown` or `healthy`). */
  eligible: z.number().int(),
  total: z.number().int(),
  /** `eligible >= minimum_origins`. */
  healthy: z.boolean(),
});

const ServiceStats = z.object({
  name: z.string(),
  routes: z.array(Route),
  /** `health_check.regions` ([] when checked from where the registry lives). */
  regions: z.array(z.enum(REGIONS)),
  /** The service's pools in failover order (priority, then name); [] without pools. */
  pools: z.array(PoolStats),
  origins: z.array(OriginStats),
  /** Requests routed to the service that no origin answered (e.g. 503 no healthy origin). */
  unattributed: TrafficStats,
});

/** `GET /_mesh/api/v1/stats`: counters since the log buffer was created; clients derive rates from two readings. */
export const MeshStats = z
  .object({
    at: z.string(),
    version: z.number().int(),
    services: z.array(ServiceStats),
    /** Requests that matched no service. */
    unrouted: TrafficStats,
    logs: BufferStats,
  })
  .openapi("MeshStats");

export type Histogram = z.infer<typeof Histogram>;
export type TrafficStats = z.infer<typeof TrafficStats>;
export type OriginSummary = z.infer<typeof OriginSummary>;
export type PoolStats = z.infer<typeof PoolStats>;
export type OriginState = z.infer<typeof OriginState>;
export type MeshStats = z.infer<typeof MeshStats>;
