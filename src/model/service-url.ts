import { MeshError } from "../errors";

/**
 * Service-binding origins: `service://BINDING/base/path` sends requests and
 * health checks to `env.BINDING.fetch()`, a Worker bound in wrangler.toml
 * (`[[services]]`), with no network hop. This file parses and judges such
 * URLs; the binding itself is looked up by the caller (src/clients/service-binding.ts).
 */

/** The scheme of service-binding origin URLs. */
export const SERVICE_PROTOCOL = "service:";

/** The mesh's own bindings: an origin may never name them (it would reach the mesh's storage or assets). */
export const INTERNAL_BINDINGS: ReadonlySet<string> = new Set([
  "REGISTRY",
  "LOG_BUFFER",
  "CHECKER",
  "ASSETS",
  "RATE_LIMITER",
]);

/** A binding name as wrangler accepts it: a JavaScript identifier (without `$`). */
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What the Worker's environment holds under a name: a service binding, nothing, or something without `fetch()`. */
export type BindingVerdict = "service" | "missing" | "not-a-service";

/** A stored service-binding origin URL, split. */
export interface ServiceTarget {
  binding: string;
  /** The base path ("" or "/a/b", no trailing slash). */
  base: string;
}

/**
 * Splits a stored `service://BINDING/base` URL, or null for any other URL.
 * Plain string work: it runs for every try on the request path.
 * @example serviceTarget("service://USERS/api") // { binding: "USERS", base: "/api" }
 */
export function serviceTarget(stored: string): ServiceTarget | null {
  if (!stored.startsWith("service://")) return null;
  const slash = stored.indexOf("/", 10);
  return slash === -1
    ? { binding: stored.slice(10), base: "" }
    : { binding: stored.slice(10, slash), base: stored.slice(slash) };
}

/**
 * Checks a parsed `service:` URL: a binding name, no port, credentials,
 * query or fragment, not one of the mesh's own bindings, and — by `judge` —
 * present in the Worker's environment with a `fetch()`. Throws
 * ERR_VALIDATION (400) for a malformed URL and ERR_ORIGIN_NOT_ALLOWED (422)
 * for a binding that cannot be used, naming the fix.
 * @example checkServiceUrl(new URL("service://USERS/api"), "url", () => "service")
 */
export function checkServiceUrl(url: URL, field: string, judge: (name: string) => BindingVerdict): URL {
  const invalid = (why: string) => new MeshError("ERR_VALIDATION", `${field} ${why}`, [{ path: field, message: why }]);
  const name = url.hostname;
  if (!BINDING_NAME.test(name))
    throw invalid("must name a service binding, such as service://USERS/api (letters, digits and _)");
  if (url.port !== "") throw invalid("must not give a port: a service binding is not reached over the network");
  if (url.username !== "" || url.password !== "") throw invalid("must not contain credentials (user:password@)");
  if (url.href.includes("?")) throw invalid("must be a base URL without a query");
  if (url.href.includes("#")) throw invalid("must be a base URL without a fragment");
  const refuse = (why: string) =>
    new MeshError("ERR_ORIGIN_NOT_ALLOWED", `${field} ${why}`, [{ path: field, message: why }]);
  if (INTERNAL_BINDINGS.has(name))
    throw refuse(
      `names ${name}, one of the mesh's own bindings; bind the Worker to send requests to under another name ` +
        `([[services]] in wrangler.toml)`,
    );
  const verdict = judge(name);
  if (verdict === "missing")
    throw refuse(
      `names service binding ${name}, which this Worker does not have: add it to wrangler.toml ` +
        `([[services]] binding = "${name}", service = "<worker name>") and deploy`,
    );
  if (verdict === "not-a-service")
    throw refuse(
      `names ${name}, which is not a service binding (it has no fetch()); bind a Worker under another name ` +
        `([[services]] in wrangler.toml)`,
    );
  return url;
}
