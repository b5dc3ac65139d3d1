import { z } from "@hono/zod-openapi";

import { OriginHealth, STATUSES } from "./origin";
import { RegionHealthMap } from "./region";

/** Longest a blocking catalog query (`GET /catalog?index=&wait=`) waits. */
export const MAX_CATALOG_WAIT_MS = 60_000;

/** A health transition, as `GET /events` and `GET /services/{name}/health` show it. */
export const HealthEvent = z
  .object({
    at: z.string(),
    service: z.string(),
    origin: z.string(),
    from: z.string(),
    to: z.string(),
    reason: z.string(),
  })
  .openapi("HealthEvent");

/** `GET /catalog`: the discovery view, every service's origins and their status. */
export const Catalog = z
  .object({
    version: z.number().int(),
    services: z.record(
      z.string(),
      z.object({
        origins: z.array(
          z.object({
            id: z.string(),
            url: z.string(),
            zone: z.string().nullable(),
            weight: z.number(),
            status: z.enum(STATUSES),
          }),
        ),
      }),
    ),
  })
  .openapi("Catalog");

/** `GET /services/{name}/health`: counts by status, each origin's health and the recent events. */
export const ServiceHealth = z
  .object({
    service: z.string(),
    counts: z.record(z.string(), z.number()),
    origins: z.array(
      z.object({
        id: z.string(),
        url: z.string(),
        health: OriginHealth.extend({ regions: RegionHealthMap.optional() }).openapi("OriginHealthWithRegions"),
      }),
    ),
    events: z.array(HealthEvent),
  })
  .openapi("ServiceHealth");

export type HealthEvent = z.infer<typeof HealthEvent>;
export type Catalog = z.infer<typeof Catalog>;
export type ServiceHealth = z.infer<typeof ServiceHealth>;
