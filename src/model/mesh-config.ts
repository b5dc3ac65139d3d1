import { z } from "@hono/zod-openapi";
import { Name, int } from "./common";
import { IntentionDestination, IntentionInput, IntentionSource } from "./intention";
import { LogSinkInput } from "./log-sink";
import { OriginInput } from "./origin";
import { ServiceInput } from "./service";

/** A service in a declarative document: its configuration and its origins by id. */
export const ConfigService = ServiceInput.safeExtend({
  origins: z.record(Name, OriginInput).default({}),
}).openapi("ConfigService");

/** An intention in a declarative document: the pair it is about, then its rule. */
export const ConfigIntention = IntentionInput.safeExtend({
  source: IntentionSource,
  destination: IntentionDestination,
}).openapi("ConfigIntention");

/**
 * The declarative document of a whole mesh (SPEC §10), as YAML or JSON:
 * what `POST /apply` takes and `GET /export` returns.
 */
export const MeshConfig = z
  .object({
    $schema: z.string().max(2048).optional().openapi({ description: "Ignored: lets editors find this schema" }),
    services: z.record(Name, ConfigService).default({}),
    log_sinks: z.record(Name, LogSinkInput).default({}),
    intentions: z
      .array(ConfigIntention)
      .max(5000)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((i, n) => {
          const key = `${i.source} → ${i.destination}`;
          if (seen.has(key)) ctx.addIssue({ code: "custom", path: [n], message: `names ${key} twice` });
          seen.add(key);
        });
      }),
  })
  .strict()
  .openapi("MeshConfig");

/** The body of `POST /apply`: a document, and optionally the registry version it was planned against. */
export const ApplyBody = MeshConfig.safeExtend({
  if_version: int(0, Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ description: "Refuse (409 ERR_CONFLICT) unless the registry is at this version" }),
}).openapi("ApplyBody");

export const CHANGE_OPS = ["create", "update", "delete"] as const;

/** One planned change: `path` is `services/<name>`, `services/<name>/origins/<id>`, `intentions/<src>/<dst>` or `log_sinks/<name>`. */
export const Change = z
  .object({
    op: z.enum(CHANGE_OPS),
    path: z.string(),
    before: z.unknown().openapi({ description: "The resource before (null when created)" }),
    after: z.unknown().openapi({ description: "The resource after (null when deleted)" }),
  })
  .openapi("Change");

/** The answer to `POST /apply` and rollback: the plan, and the revision it became when applied. */
export const Plan = z
  .object({
    version: z.number().int().openapi({ description: "The registry version after the change (now, for a dry run)" }),
    applied: z.boolean(),
    revision: z.number().int().nullable(),
    changes: z.array(Change),
  })
  .openapi("Plan");

/** A recorded applied change. */
export const Revision = z
  .object({
    revision: z.number().int(),
    at: z.string(),
    by: z.string().openapi({ description: "The `sub` of the token that made it" }),
    changes: z.array(Change),
  })
  .openapi("Revision");

export type ConfigService = z.infer<typeof ConfigService>;
export type ConfigIntention = z.infer<typeof ConfigIntention>;
export type MeshConfig = z.infer<typeof MeshConfig>;
export type ApplyBody = z.infer<typeof ApplyBody>;
export type Change = z.infer<typeof Change>;
export type Plan = z.infer<typeof Plan>;
export type Revision = z.infer<typeof Revision>;
