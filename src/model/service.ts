import { z } from "@hono/zod-openapi";
import { Name, ShortString, int } from "./common";
import { Hedge } from "./hedge";
import { Origin } from "./origin";
import { RateLimit } from "./rate-limit";
import { Pools, REGIONS, SessionAffinity, Steering, steeringIssues } from "./steering";

/** A host pattern: a DNS name, or `*.` followed by one (leading wildcard). */
const HostPattern = z
  .string()
  .max(253)
  .transform((h) => h.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
        "must be a host name such as api.example.com, or a leading wildcard such as *.example.com",
      ),
  );

export const Route = z
  .object({
    host: HostPattern.optional(),
    path_prefix: z
      .string()
      .max(1024)
      .regex(/^\/[^?#\s]*$/, "must start with '/' and hold no query, fragment or spaces")
      .default("/"),
  })
  .strict()
  .openapi("Route");

export const POLICIES = ["round_robin", "random", "least_request", "ewma", "hash"] as const;
/** A load-balancing policy a service can name (`load_balancer.policy`). */
export type Policy = (typeof POLICIES)[number];

export const LoadBalancer = z
  .object({
    policy: z.enum(POLICIES).default("round_robin"),
    hash_on: z
      .string()
      .regex(
        /^(ip|header:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}|cookie:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128})$/,
        "must be 'ip', 'header:<name>' or 'cookie:<name>'",
      )
      .nullable()
      .default(null),
  })
  .strict()
  .openapi("LoadBalancer");

export const HealthCheck = z
  .object({
    path: z
      .string()
      .max(1024)
      .regex(/^\/[^#\s]*$/, "must start with '/'")
      .default("/healthz"),
    method: z.enum(["GET", "HEAD", "POST", "OPTIONS"]).default("GET"),
    interval_s: int(1, 3600).default(10),
    timeout_ms: int(100, 60_000).default(2000),
    expected_status: z.array(int(100, 599)).min(1).max(50).default([200]),
    body_contains: z.string().min(1).max(1024).nullable().default(null),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be a header name"), ShortString)
      .default({}),
    healthy_threshold: int(1, 100).default(2),
    unhealthy_threshold: int(1, 100).default(3),
    regions: z
      .array(z.enum(REGIONS))
      .max(REGIONS.length)
      .refine((r) => new Set(r).size === r.length, "must not name a region twice")
      .default([])
      .openapi({
        description:
          "Regions to check from (Durable Object location hints): one checker Durable Object per region, created " +
          "near it, each with its own alarm, `x-mesh-check-region: <region>` and MESH_SUBREQUEST_BUDGET. The " +
          "thresholds apply per region; an origin is unhealthy when more than half of these regions see it " +
          "unhealthy, healthy when at least half see it healthy (ties: healthy). [] checks from where the " +
          "registry lives (`x-mesh-check-region: default`).",
        example: ["wnam", "weur", "apac"],
      }),
  })
  .strict()
  .openapi("HealthCheck");

export const RETRY_ON = ["connect-failure", "timeout", "5xx", "gateway-error"] as const;

export const Retries = z
  .object({
    attempts: int(0, 10).default(2),
    per_try_timeout_ms: int(1, 300_000).default(5000),
    retry_on: z.array(z.enum(RETRY_ON)).max(4).default(["connect-failure", "timeout", "5xx"]),
    budget_ratio: z.number().min(0).max(1).default(0.2),
  })
  .strict()
  .openapi("Retries");

export const OutlierDetection = z
  .object({
    consecutive_failures: int(1, 1000).default(5),
    base_ejection_s: int(1, 3600).default(30),
    max_ejection_percent: int(0, 100).default(50),
  })
  .strict()
  .openapi("OutlierDetection");

export const Tls = z
  .object({
    client_certificate_binding: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a binding name such as ORIGIN_CERT")
      .openapi({
        description:
          "An `mtls_certificates` binding (wrangler.toml) whose client certificate the service's requests and " +
          "health checks present to its origins",
      }),
  })
  .strict()
  .openapi("Tls");

/** The fields of a service, without the cross-field rules. */
const ServiceFields = z
  .object({
    routes: z
      .array(Route)
      .min(1)
      .max(1024)
      .openapi({ description: "At most MESH_MAX_ROUTES_PER_SERVICE (default 64) routes" }),
    strip_prefix: z.boolean().default(false),
    forward_mesh_paths: z
      .boolean()
      .default(false)
      .openapi({
        description:
          "With strip_prefix, forward paths that would reach the origin's own /_mesh (e.g. /api/_mesh/… → /_mesh/…); " +
          "refused (404 ERR_NO_ROUTE) by default, as such an origin may be another mesh's admin API",
      }),
    load_balancer: LoadBalancer.prefault({}),
    health_check: HealthCheck.nullable().prefault({}),
    retries: Retries.prefault({}),
    timeout_ms: int(1, 300_000).default(15_000),
    outlier_detection: OutlierDetection.nullable().prefault({}),
    panic_threshold_percent: int(0, 100).default(50),
    slow_start_s: int(0, 3600).default(0),
    fallback_service: Name.nullable().default(null),
    rate_limit: RateLimit.nullable().default(null),
    tls: Tls.nullable().default(null),
    pools: Pools.default({}),
    steering: Steering.prefault({}),
    session_affinity: SessionAffinity.prefault({}),
    hedge: Hedge.nullable().default(null),
  })
  .strict();

const checkSteering = (input: z.infer<typeof ServiceFields>, ctx: z.RefinementCtx) => {
  for (const issue of steeringIssues(input)) ctx.addIssue({ code: "custom", ...issue });
};

/** A service's configuration, every field validated (what the registry stores, without `name`). */
export const ServiceInput = ServiceFields.superRefine(checkSteering).openapi("ServiceInput");

/**
 * The body of `PUT /services/{name}`: the whole service (what is left out
 * takes its default). What `GET` returns is accepted as it is, so a read
 * can be edited and written back: `name`, if given, must be the path's;
 * `origins` is read-only and ignored (they have their own routes).
 */
export const ServicePut = ServiceFields.extend({
  name: Name.optional().openapi({ description: "Ignored when it is the path's name; any other is a 400" }),
  origins: z.array(z.unknown()).optional().openapi({ description: "Read-only (what GET returns): ignored" }),
})
  .superRefine(checkSteering)
  .openapi("ServicePut");

/**
 * The body of `PATCH /services/{name}`: a JSON merge patch (RFC 7396) of the
 * service — objects merge, `null` resets a field to its default, arrays and
 * other values replace. The result is validated as a whole, like a PUT.
 */
export const ServicePatch = z
  .record(z.string(), z.unknown())
  .openapi("ServicePatch", { example: { load_balancer: { policy: "ewma" }, retries: { attempts: null } } });

export type ServiceInput = z.infer<typeof ServiceInput>;
export type Route = z.infer<typeof Route>;
export type HealthCheck = z.infer<typeof HealthCheck>;
export type Retries = z.infer<typeof Retries>;
export type OutlierDetection = z.infer<typeof OutlierDetection>;

/** A stored service, as the API returns it: its configuration with every default filled in. */
export const Service = ServiceFields.extend({ name: Name }).openapi("Service");
/** `GET /services/{name}`: the service with its origins. */
export const ServiceWithOrigins = Service.extend({ origins: z.array(Origin) }).openapi("ServiceWithOrigins");

/** A stored service: its configuration with every default filled in. */
export type ServiceConfig = z.infer<typeof Service>;
export type ServiceWithOrigins = z.infer<typeof ServiceWithOrigins>;
