/**
 * Optional vars and secrets (SPEC §2). They are not in wrangler.toml, so
 * `wrangler types` cannot see them; every one may be absent.
 */
export interface OptionalVars {
  MESH_ADMIN_SECRET?: string;
  MESH_ADMIN_JWKS_URL?: string;
  MESH_ADMIN_ISSUER?: string;
  MESH_ADMIN_AUDIENCE?: string;
  MESH_SIGNING_KEY?: string;
  /** Private JWKs, the signing one first (a JSON array); see src/auth/signing-keys.ts. */
  MESH_SIGNING_KEYS?: string;
  /** Most bytes of request logs held for shipping (default 64 MiB); see src/observability/limits.ts. */
  MESH_LOG_BUFFER_MAX_BYTES?: string;
  /** Most outbound fetches one alarm or cron run may make (default 45); see {@link subrequestBudget}. */
  MESH_SUBREQUEST_BUDGET?: string;
  /** Longest an admin token may stay valid, in seconds from now (default 86400); see {@link adminMaxTtlS}. */
  MESH_ADMIN_MAX_TTL_S?: string;
  /** Caps on what the registry holds; see src/model/limits.ts. */
  MESH_MAX_SERVICES?: string;
  MESH_MAX_ORIGINS_PER_SERVICE?: string;
  MESH_MAX_ROUTES_PER_SERVICE?: string;
  MESH_MAX_SNAPSHOT_BYTES?: string;
  /** `allow` (default) or `deny`: what a caller → service pair no intention matches gets (SPEC §9). */
  MESH_DEFAULT_INTENTION?: string;
  /** How many LogBuffer objects share the request logs (default 8); see src/clients/log-buffer.ts. */
  MESH_LOG_SHARDS?: string;
  /** Workers Analytics Engine dataset that also receives the metric counters, when bound (docs/OBSERVABILITY.md). */
  MESH_ANALYTICS?: AnalyticsEngineDataset;
}

/** The Worker's environment: generated bindings plus the optional vars. */
export type MeshEnv = Env & OptionalVars;

/** True when `MESH_ALLOW_PRIVATE_ORIGINS` is exactly "true" (local development only). */
export function allowPrivateOrigins(env: Partial<MeshEnv>): boolean {
  return env.MESH_ALLOW_PRIVATE_ORIGINS === "true";
}

/**
 * Whether a pair no intention matches is allowed: MESH_DEFAULT_INTENTION is
 * `allow` unless it says `deny`. Any other value denies (fail closed) — a
 * typo must not open the mesh.
 */
export function defaultIntentionAllows(env: Partial<Pick<MeshEnv, "MESH_DEFAULT_INTENTION">>): boolean {
  const value = nonEmpty(env.MESH_DEFAULT_INTENTION)?.toLowerCase();
  return value === undefined || value === "allow";
}

/** A var that is set and non-empty, or undefined. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * Default of `MESH_SUBREQUEST_BUDGET`: under the Free plan's 50 subrequests
 * per invocation, with room for the run's own bookkeeping.
 */
export const DEFAULT_SUBREQUEST_BUDGET = 45;

/**
 * Most outbound fetches (health checks, log batches) one alarm or cron run
 * may make: `MESH_SUBREQUEST_BUDGET`, or the default when unset or not a
 * positive integer. Past the plan's limit every fetch of the run throws,
 * so work beyond the budget waits for the next run instead of failing.
 * @example subrequestBudget({ MESH_SUBREQUEST_BUDGET: "900" }) // 900
 */
export function subrequestBudget(env: Partial<Pick<MeshEnv, "MESH_SUBREQUEST_BUDGET">>): number {
  return positiveInt(env.MESH_SUBREQUEST_BUDGET) ?? DEFAULT_SUBREQUEST_BUDGET;
}

/** Default of `MESH_ADMIN_MAX_TTL_S`: a day, what `npm run token` mints at most by default. */
export const DEFAULT_ADMIN_MAX_TTL_S = 86_400;

/** Longest an admin token may stay valid, in seconds from now: `MESH_ADMIN_MAX_TTL_S`, or a day. */
export function adminMaxTtlS(env: Partial<Pick<MeshEnv, "MESH_ADMIN_MAX_TTL_S">>): number {
  return positiveInt(env.MESH_ADMIN_MAX_TTL_S) ?? DEFAULT_ADMIN_MAX_TTL_S;
}

/** A var holding a positive integer (surrounding spaces allowed), else undefined. */
export function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*[0-9]+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
