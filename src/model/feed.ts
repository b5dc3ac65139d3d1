import { z } from "@hono/zod-openapi";
import { Service } from "./service";
import { SnapshotOrigin, SnapshotPolicy } from "./snapshot";

/** The whole routing table at `version` (what a cold isolate, or one too far behind, receives). */
export const FeedFull = z.object({
  kind: z.literal("full"),
  version: z.number().int(),
  services: z.array(Service),
  origins: z.array(SnapshotOrigin),
  /** Intentions and certificate identities (SPEC §9), whole. */
  policy: SnapshotPolicy.nullable().optional(),
});

/**
 * What changed between version `from` and `version`: services and origins
 * to put (whole, replacing any with the same name / service and id) and to
 * remove. Removing a service removes its origins. Applied to the table at
 * `from`, it gives exactly the table at `version`.
 */
export const FeedDelta = z.object({
  kind: z.literal("delta"),
  from: z.number().int(),
  version: z.number().int(),
  services: z.array(Service),
  removed_services: z.array(z.string()),
  origins: z.array(SnapshotOrigin),
  /** `[service, id]` pairs. */
  removed_origins: z.array(z.tuple([z.string(), z.string()])),
  /** Intentions and certificate identities (SPEC §9), whole in every answer: they are few and small. */
  policy: SnapshotPolicy.nullable().optional(),
});

/**
 * An answer of the registry's routing feed (`Registry.routingFeed`), sent as
 * JSON text: the registry serialises each answer once and hands the same
 * text to every isolate that asks for it.
 */
export const FeedMessage = z.discriminatedUnion("kind", [FeedFull, FeedDelta]);

export type FeedFull = z.infer<typeof FeedFull>;
export type FeedDelta = z.infer<typeof FeedDelta>;
export type FeedMessage = z.infer<typeof FeedMessage>;
