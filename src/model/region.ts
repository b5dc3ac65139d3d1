import { z } from "@hono/zod-openapi";
import type { HealthCheck } from "./service";
import { REGIONS } from "./steering";

/** What one region's checker sees of an origin: its own threshold verdict over its own checks. */
export const RegionHealth = z
  .object({
    status: z.enum(["unknown", "healthy", "unhealthy"]).openapi({
      description:
        "This region's verdict, with the service's thresholds applied to this region's checks alone: `unknown` " +
        "until a threshold is first reached (or before the region's first check)",
    }),
    last_check: z.string().nullable(),
    latency_ms: z.number().nullable(),
    last_error: z.string().nullable(),
  })
  .openapi("RegionHealth");

/** An origin's view per region of its service's `health_check.regions` (every listed region, reported or not). */
export const RegionHealthMap = z.partialRecord(z.enum(REGIONS), RegionHealth).openapi("RegionHealthMap", {
  description:
    "Per checker region (SPEC §7): the origin is unhealthy when more than half of the service's regions see it " +
    "unhealthy, healthy when at least half see it healthy (a tie is healthy); otherwise it keeps its status. " +
    "Present only when the service has `health_check.regions`.",
});

/** One check a regional checker is to run (the Registry's answer to `takeRegionChecks`). */
export interface RegionTask {
  service: string;
  origin: string;
  url: string;
  health_check: HealthCheck;
  /** The service's `tls.client_certificate_binding`, or null. */
  client_certificate?: string | null;
}

/** What a regional checker reports of one check (`reportRegionChecks`, one batch per alarm run). */
export interface RegionResult {
  service: string;
  origin: string;
  /** The URL that was checked: a report about a URL the origin no longer has is dropped. */
  url: string;
  ok: boolean;
  latency_ms: number;
  error: string | null;
  /** Epoch ms when the check finished, by the checker's clock. */
  at: number;
}

export type RegionHealth = z.infer<typeof RegionHealth>;
export type RegionHealthMap = z.infer<typeof RegionHealthMap>;
