import type { Change } from "../model/mesh-config";
import { redactHeaders } from "../model/redact";
import { isPlain } from "./equal";

/** A service's or log sink's value with credential-like header values redacted (as GET shows them). */
function redactValue(path: string, value: unknown): unknown {
  if (!isPlain(value)) return value;
  if (path.startsWith("log_sinks/") && isPlain(value.headers))
    return { ...value, headers: redactHeaders(value.headers as Record<string, string>) };
  const hc = value.health_check;
  if (/^services\/[^/]+$/.test(path) && isPlain(hc) && isPlain(hc.headers))
    return { ...value, health_check: { ...hc, headers: redactHeaders(hc.headers as Record<string, string>) } };
  return value;
}

/**
 * A change as the API shows it: header values that look like credentials redacted.
 * @example redactChange({ op: "create", path: "log_sinks/l", before: null, after: { headers: { authorization: "x" } } })
 */
export function redactChange(c: Change): Change {
  return { ...c, before: redactValue(c.path, c.before), after: redactValue(c.path, c.after) };
}
