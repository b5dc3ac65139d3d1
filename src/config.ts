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
  /** Most bytes of request logs held for shipping (default 64 MiB); see src/observability/limits.ts. */
  MESH_LOG_BUFFER_MAX_BYTES?: string;
}

/** The Worker's environment: generated bindings plus the optional vars. */
export type MeshEnv = Env & OptionalVars;

/** True when `MESH_ALLOW_PRIVATE_ORIGINS` is exactly "true" (local development only). */
export function allowPrivateOrigins(env: Partial<MeshEnv>): boolean {
  return env.MESH_ALLOW_PRIVATE_ORIGINS === "true";
}

/** A var that is set and non-empty, or undefined. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}
