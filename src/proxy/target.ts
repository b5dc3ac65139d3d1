import { type ServiceFetcher, serviceBinding, unboundMessage } from "../clients/service-binding";
import { serviceTarget } from "../model/service-url";
import { targetUrl } from "./request-plan";

/** Where one try goes: a URL and the binding to send it through (null: the global `fetch`), or why it cannot go. */
export type Target = { url: string; via: ServiceFetcher | null } | { unbound: string };

/**
 * The target of a try at an origin. An http(s) origin gets its base URL,
 * the forwarded path and the query. A `service://BINDING/base` origin is
 * sent to `env.BINDING.fetch()` with the URL the client asked for, its path
 * rewritten as for any origin: `<front><base><path><query>`, `front` being
 * the client's scheme and host (`https://api.example.com`), so the bound
 * Worker sees the host it is served for. With `clientCertificate` (the
 * service's `tls.client_certificate_binding`) an http(s) try goes through
 * that mTLS binding. A binding that is gone (a deploy removed it) is
 * `unbound`: the try fails as a connection would.
 * @example targetOf("service://USERS/api", "https://api.example.com", "/users/7", "?x=1", env)
 */
export function targetOf(
  origin: string,
  front: string,
  path: string,
  search: string,
  env: object,
  clientCertificate: string | null = null,
): Target {
  const service = serviceTarget(origin);
  if (service === null) {
    const url = targetUrl(origin, path, search);
    if (clientCertificate === null) return { url, via: null };
    // mTLS to the origin: the certificate binding's fetch() presents its client certificate.
    const cert = serviceBinding(env, clientCertificate);
    return cert === null ? { unbound: unboundMessage(clientCertificate) } : { url, via: cert };
  }
  const via = serviceBinding(env, service.binding);
  if (via === null) return { unbound: unboundMessage(service.binding) };
  return { url: `${front}${service.base}${path}${search}`, via };
}
