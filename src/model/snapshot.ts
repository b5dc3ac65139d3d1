import { z } from "@hono/zod-openapi";
import { CertIdentity } from "./identity";
import { Intention } from "./intention";
import { OriginInput, STATUSES } from "./origin";
import { Service } from "./service";

/**
 * An origin as the data plane sees it: what routing depends on, and nothing
 * that changes without a routing decision changing (no last check time, no
 * check streaks, no last error), so a snapshot is a function of its version.
 */
export const SnapshotOrigin = OriginInput.extend({
  service: z.string(),
  id: z.string(),
  health: z.object({ status: z.enum(STATUSES), since: z.string() }),
  /** Epoch ms since when the origin has been routable after being new or unhealthy (slow start); null if never. */
  healthy_since_ms: z.number().nullable(),
  /** Epoch ms until which the origin is ejected by passive outlier detection; null if not ejected. */
  ejected_until_ms: z.number().nullable(),
});

/** The registry's versioned view for the data plane: `version` grows with every routing-relevant change. */
/** Who may call whom and which client certificate is which service (SPEC §9); it travels whole in every answer. */
export const SnapshotPolicy = z.object({
  intentions: z.array(Intention),
  identities: z.array(CertIdentity),
});

export const Snapshot = z.object({
  version: z.number().int(),
  /** Sorted by name. */
  services: z.array(Service),
  /** Sorted by service, then id. */
  origins: z.array(SnapshotOrigin),
  /** Absent from registries older than intentions. */
  policy: SnapshotPolicy.nullable().optional(),
});

export type SnapshotOrigin = z.infer<typeof SnapshotOrigin>;
export type SnapshotPolicy = z.infer<typeof SnapshotPolicy>;
export type Snapshot = z.infer<typeof Snapshot>;
