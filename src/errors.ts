/** Stable error codes: clients switch on these, never on message text. */
export const ERROR_CODES = [
  "ERR_VALIDATION",
  "ERR_UNAUTHENTICATED",
  "ERR_FORBIDDEN",
  "ERR_NOT_FOUND",
  "ERR_NO_ROUTE",
  "ERR_METHOD_NOT_ALLOWED",
  "ERR_TOO_LARGE",
  "ERR_ORIGIN_NOT_ALLOWED",
  "ERR_INTERNAL",
  "ERR_UPSTREAM",
  "ERR_NO_HEALTHY_ORIGIN",
  "ERR_AUTH_NOT_CONFIGURED",
  "ERR_UPSTREAM_TIMEOUT",
  "ERR_LOOP",
  "ERR_LIMIT_EXCEEDED",
  "ERR_CONFLICT",
  "ERR_FORBIDDEN_BY_POLICY",
  "ERR_RATE_LIMITED",
] as const;

/** One of {@link ERROR_CODES}. */
export type MeshErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<MeshErrorCode, number> = {
  ERR_VALIDATION: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_NO_ROUTE: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_TOO_LARGE: 413,
  ERR_ORIGIN_NOT_ALLOWED: 422,
  ERR_INTERNAL: 500,
  ERR_UPSTREAM: 502,
  ERR_NO_HEALTHY_ORIGIN: 503,
  ERR_AUTH_NOT_CONFIGURED: 503,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_LOOP: 508,
  ERR_LIMIT_EXCEEDED: 409,
  ERR_CONFLICT: 409,
  ERR_FORBIDDEN_BY_POLICY: 403,
  ERR_RATE_LIMITED: 429,
};

/** One problem with one field of a request: `path` names the field. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The one error type of the mesh: a stable `code`, its HTTP status, and
 * optional per-field details.
 * @example throw new MeshError("ERR_NOT_FOUND", "service 'users' does not exist")
 */
export class MeshError extends Error {
  readonly code: MeshErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];

  constructor(code: MeshErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = "MeshError";
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

/**
 * Set on every error the mesh itself answers, with its code. A mesh that is
 * another mesh's origin passes it on, so the outer one can tell a mesh's
 * verdict (a loop, no healthy origin) from an origin's failure and never
 * retries it: retrying a loop multiplies it by the retry count at each hop.
 */
export const MESH_ERROR_HEADER = "x-mesh-error";

/** The JSON body of an error response, as SPEC §Errors fixes it. */
export function errorBody(err: MeshError, requestId: string) {
  return {
    error: { code: err.code, message: err.message, details: err.details, request_id: requestId },
  };
}

/**
 * A JSON error response for a MeshError.
 * @example return errorResponse(new MeshError("ERR_LOOP", "too many hops"), id)
 */
export function errorResponse(err: MeshError, requestId: string, headers?: HeadersInit): Response {
  const res = Response.json(errorBody(err, requestId), { status: err.status, headers });
  res.headers.set("x-request-id", requestId);
  res.headers.set(MESH_ERROR_HEADER, err.code);
  return res;
}
