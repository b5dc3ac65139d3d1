import { MeshError } from "../errors";

/** Header names whose values are credentials: reads show them as {@link REDACTED}. */
const SECRET_HEADER = /auth|token|secret|key|passw|cookie|session|signature|credential/i;

/** The placeholder shown instead of a secret header value. */
export const REDACTED = "[redacted]";

/** Whether a header of this name holds a credential (`Authorization`, `X-API-Key`, `Cookie`…). */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * Headers with credential-like values (`Authorization`, `X-API-Key`,
 * anything naming a token, secret, key, password, cookie, session,
 * signature or credential) replaced by `[redacted]`.
 * @example redactHeaders({ Authorization: "Basic abc" }) // { Authorization: "[redacted]" }
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name) ? REDACTED : value]),
  );
}

/**
 * `next` with every `[redacted]` value replaced by the value `stored` holds
 * under that name, so that what a read returned can be written back without
 * losing the secret. A `[redacted]` with nothing stored behind it is a 400:
 * the real value must be sent.
 * @example keepRedacted({ Authorization: "[redacted]" }, { Authorization: "Bearer x" }, "health_check.headers")
 */
export function keepRedacted(
  next: Record<string, string>,
  stored: Record<string, string> | undefined,
  field: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(next)) {
    if (value !== REDACTED) {
      out[name] = value;
      continue;
    }
    const kept = stored?.[name];
    if (kept === undefined) {
      const why = `is '${REDACTED}' but no value is stored under ${name}: send the real value`;
      throw new MeshError("ERR_VALIDATION", `${field}.${name} ${why}`, [{ path: `${field}.${name}`, message: why }]);
    }
    out[name] = kept;
  }
  return out;
}
