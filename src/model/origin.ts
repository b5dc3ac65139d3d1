import { z } from "@hono/zod-openapi";
import { ShortString, int } from "./common";
import { Warnings } from "./warnings";

export const STATUSES = ["unknown", "healthy", "unhealthy", "ejected", "draining", "disabled"] as const;
/** An origin's collapsed health status (SPEC §Origins). */
export type HealthStatus = (typeof STATUSES)[number];

const Tags = z.array(ShortString).max(32);
const Metadata = z
  .record(z.string().min(1).max(128), z.string().max(1024))
  .refine((m) => Object.keys(m).length <= 64, "at most 64 keys");
const Zone = ShortString.nullable();

/** The body of `POST`/`PUT …/origins[/{id}]`. */
export const OriginInput = z
  .object({
    url: z
      .string()
      .max(2048)
      .openapi({
        description:
          "Base URL: `https://<DNS name>[:port][/base]` (a public name or a Cloudflare Tunnel hostname) or " +
          "`service://<BINDING>[/base]` (a Worker bound in wrangler.toml `[[services]]`). IP addresses and " +
          "special-use names are refused (422) unless MESH_ALLOW_PRIVATE_ORIGINS is true: Cloudflare answers a " +
          "Worker's fetch of an IP address with error 1003.",
        example: "https://users-1.example.com",
      }),
    weight: int(0, 1000).default(1),
    zone: Zone.default(null).openapi({
      description: "Where the origin runs; it names the origin's pool when the service has `pools` (SPEC §7)",
      example: "eu",
    }),
    tags: Tags.default([]),
    metadata: Metadata.default({}),
    enabled: z.boolean().default(true),
    drain: z.boolean().default(false),
    ttl_s: int(1, 86_400).nullable().default(null),
  })
  .strict()
  .openapi("OriginInput");

/**
 * The body of `PUT …/origins/{id}`: the whole origin. What `GET` returns is
 * accepted as it is: `id`, if given, must be the path's; `health` and
 * `warnings` are read-only and ignored.
 */
export const OriginPut = OriginInput.extend({
  id: z.string().optional().openapi({ description: "Ignored when it is the path's id; any other is a 400" }),
  health: z.unknown().optional().openapi({ description: "Read-only (what GET returns): ignored" }),
  warnings: z.unknown().optional().openapi({ description: "Read-only (what a write returns): ignored" }),
}).openapi("OriginPut");

/** The body of `PATCH …/origins/{id}`: only these fields may change. */
export const OriginPatch = z
  .object({
    weight: int(0, 1000).optional(),
    enabled: z.boolean().optional(),
    drain: z.boolean().optional(),
    tags: Tags.optional(),
    metadata: Metadata.optional(),
    zone: Zone.optional(),
  })
  .strict()
  .openapi("OriginPatch");

export const OriginHealth = z
  .object({
    status: z.enum(STATUSES),
    since: z.string(),
    last_check: z.string().nullable(),
    last_check_ms: z.number().nullable(),
    last_error: z.string().nullable(),
    consecutive_successes: z.number().int(),
    consecutive_failures: z.number().int(),
    ejected_until: z.string().nullable(),
  })
  .openapi("OriginHealth");

export const Origin = OriginInput.extend({
  id: z.string(),
  health: OriginHealth,
}).openapi("Origin");

/** The answer to `POST`/`PUT …/origins[/{id}]`: the origin, and warnings about it when there are any. */
export const OriginWritten = Origin.extend({ warnings: Warnings }).openapi("OriginWritten");

export type OriginInput = z.infer<typeof OriginInput>;
export type OriginPatch = z.infer<typeof OriginPatch>;
export type OriginHealth = z.infer<typeof OriginHealth>;
export type Origin = z.infer<typeof Origin>;
