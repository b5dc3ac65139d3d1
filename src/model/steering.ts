import { z } from "@hono/zod-openapi";
import { int } from "./common";

/** Durable Object location hints a health-check region may name (SPEC §7). */
export const REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type Region = (typeof REGIONS)[number];

/** Continent codes as `request.cf.continent` spells them. */
export const CONTINENTS = ["AF", "AN", "AS", "EU", "NA", "OC", "SA", "T1"] as const;

/** The pool names origins' `zone` may hold: a service name's alphabet, so they fit headers and labels. */
const PoolName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must match ^[a-z0-9][a-z0-9_-]{0,62}$ (an origin's zone names its pool)");

const Country = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code in capitals, such as DE");

export const Pool = z
  .object({
    priority: int(0, 1000).default(1).openapi({ description: "Failover order: lower first, ties by pool name" }),
    minimum_origins: int(0, 1000).default(1).openapi({
      description: "Eligible origins (weight > 0) the pool needs to count as healthy; at least 1 is always needed",
    }),
    countries: z
      .array(Country)
      .max(250)
      .default([])
      .openapi({ description: "`geo`: request.cf.country values sent here first" }),
    continents: z
      .array(z.enum(CONTINENTS))
      .max(8)
      .default([])
      .openapi({ description: "`geo`: request.cf.continent values sent here when no pool lists the country" }),
    latitude: z.number().min(-90).max(90).nullable().default(null),
    longitude: z.number().min(-180).max(180).nullable().default(null),
  })
  .strict()
  .openapi("Pool", {
    description:
      "A group of the service's origins: those whose `zone` is the pool's name. Coordinates (degrees) are needed for `proximity`.",
  });

export const Pools = z
  .record(PoolName, Pool)
  .refine((p) => Object.keys(p).length <= 64, "at most 64 pools")
  .openapi("Pools");

export const STEERING_POLICIES = ["off", "failover", "geo", "proximity", "random"] as const;
export type SteeringPolicy = (typeof STEERING_POLICIES)[number];

export const Steering = z
  .object({
    policy: z
      .enum(STEERING_POLICIES)
      .default("off")
      .openapi({
        description:
          "`off`: all origins; `failover`: the healthy pool with the lowest priority; `geo`: the pool listing the " +
          "request's country, else continent, else failover order; `proximity`: the nearest healthy pool; " +
          "`random`: weighted by pool size. An unhealthy choice falls to the next pool in failover order, then " +
          "`fallback_pool`, then panic over all origins. Responses say the choice: `x-mesh-pool` and " +
          '`server-timing: steer;desc="geo DE→eu"`.',
      }),
    fallback_pool: PoolName.nullable()
      .default(null)
      .openapi({ description: "Last resort when no pool is healthy, taken if it has any eligible origin" }),
  })
  .strict()
  .openapi("Steering");

export const AFFINITY_TYPES = ["none", "cookie", "header", "ip_cookie"] as const;

export const SessionAffinity = z
  .object({
    type: z
      .enum(AFFINITY_TYPES)
      .default("none")
      .openapi({
        description:
          "`cookie`: the first answer sets a signed `__flaremesh` cookie (HttpOnly, Secure, SameSite=Lax) that keeps " +
          "the client on that origin while it is eligible; `header`: the named header's value is consistent-hashed; " +
          "`ip_cookie`: the client address is hashed for the first pick, then the cookie. A forged or stale cookie is " +
          "ignored; the cookie is never forwarded to origins.",
      }),
    ttl_s: int(1, 7 * 86_400)
      .default(82_800)
      .openapi({ description: "Lifetime of a pin (the cookie's Max-Age), in seconds" }),
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be a header name")
      .nullable()
      .default(null),
  })
  .strict()
  .openapi("SessionAffinity");

export type Pool = z.infer<typeof Pool>;
export type Pools = z.infer<typeof Pools>;
export type Steering = z.infer<typeof Steering>;
export type SessionAffinity = z.infer<typeof SessionAffinity>;

/** Cross-field rules of §7, as zod issues on the service body (`path` relative to it). */
export function steeringIssues(input: {
  pools: Pools;
  steering: Steering;
  session_affinity: SessionAffinity;
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const { fallback_pool: fallback, policy } = input.steering;
  if (fallback !== null && !(fallback in input.pools)) {
    issues.push({
      path: ["steering", "fallback_pool"],
      message: `names no pool of this service (pools: ${Object.keys(input.pools).join(", ") || "none"})`,
    });
  }
  if (policy !== "off" && Object.keys(input.pools).length === 0) {
    issues.push({ path: ["steering", "policy"], message: `'${policy}' needs at least one entry in pools` });
  }
  if (policy === "proximity") {
    for (const [name, pool] of Object.entries(input.pools)) {
      if (pool.latitude === null || pool.longitude === null) {
        issues.push({ path: ["pools", name], message: "needs latitude and longitude for steering.policy 'proximity'" });
      }
    }
  }
  const affinity = input.session_affinity;
  if (affinity.type === "header" && affinity.header === null) {
    issues.push({ path: ["session_affinity", "header"], message: "is required when type is 'header'" });
  }
  return issues;
}
