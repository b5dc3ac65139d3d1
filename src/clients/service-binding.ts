import { type BindingVerdict, INTERNAL_BINDINGS, serviceTarget } from "../model/service-url";

/** What the mesh uses of a service binding: its `fetch()`. */
export interface ServiceFetcher {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/**
 * The service binding `name` of the Worker's environment, or null when
 * there is none, it has no `fetch()`, or it is one of the mesh's own.
 * Looked up on every use, so a binding removed by a deploy fails the try
 * (a connect failure), never the Worker.
 * @example const users = serviceBinding(env, "USERS")
 */
export function serviceBinding(env: object, name: string): ServiceFetcher | null {
  if (INTERNAL_BINDINGS.has(name)) return null;
  const value = (env as Record<string, unknown>)[name];
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return null;
  return typeof (value as { fetch?: unknown }).fetch === "function" ? (value as ServiceFetcher) : null;
}

/**
 * What the environment holds under `name`, for registration checks.
 * @example checkOriginUrl(url, { allowPrivate, binding: (name) => bindingVerdict(env, name) })
 */
export function bindingVerdict(env: object, name: string): BindingVerdict {
  if (serviceBinding(env, name)) return "service";
  return (env as Record<string, unknown>)[name] === undefined ? "missing" : "not-a-service";
}

/** Why a try or check of a service-binding origin could not be sent. */
export function unboundMessage(binding: string): string {
  return `service binding ${binding} is not bound to this Worker`;
}

/**
 * A fetch for active checks: http(s) URLs go to `fallback` (the global
 * `fetch`), `service://BINDING/path` URLs to the binding, which sees
 * `https://<binding, lower-cased>/path`. A missing binding throws, so the
 * check fails as a connection would.
 * @example runCheck(url, hc, checkFetcher(env), Date.now)
 */
export function checkFetcher(
  env: object,
  fallback: (input: string, init: RequestInit) => Promise<Response> = fetch,
): (input: string, init: RequestInit) => Promise<Response> {
  return (input, init) => {
    const target = serviceTarget(input);
    if (target === null) return fallback(input, init);
    const binding = serviceBinding(env, target.binding);
    if (binding === null) return Promise.reject(new Error(unboundMessage(target.binding)));
    return binding.fetch(`https://${target.binding.toLowerCase()}${target.base}`, init);
  };
}

/**
 * `base` with http(s) URLs sent through the mTLS certificate binding `name`
 * (`tls.client_certificate_binding`), which presents its client certificate
 * to the origin; `base` itself when `name` is null. A binding that is gone
 * fails the fetch as a connection would.
 * @example runCheck(url, hc, withClientCertificate(env, checkFetcher(env), "ORIGIN_CERT"), Date.now)
 */
export function withClientCertificate(
  env: object,
  base: (input: string, init: RequestInit) => Promise<Response>,
  name: string | null,
): (input: string, init: RequestInit) => Promise<Response> {
  if (name === null) return base;
  return (input, init) => {
    if (serviceTarget(input) !== null) return base(input, init);
    const binding = serviceBinding(env, name);
    if (binding === null) return Promise.reject(new Error(unboundMessage(name)));
    return binding.fetch(input, init);
  };
}
