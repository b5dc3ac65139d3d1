import { classifyHost } from "./origin-url";

/**
 * Cloudflare's proxied ports (developers.cloudflare.com/fundamentals/reference/network-ports/):
 * a Worker's fetch to a proxied (orange-cloud) name on any other port goes
 * to the scheme's default port instead. One list for both schemes, as SPEC §6 gives it.
 */
export const PROXIED_PORTS: ReadonlySet<number> = new Set([
  80, 443, 2052, 2053, 2082, 2083, 2086, 2087, 2095, 2096, 8080, 8443, 8880,
]);

/**
 * What a write response warns about a checked origin or sink URL: a port
 * outside Cloudflare's proxied list works only when the name is DNS-only.
 * A default port (written or not) and service bindings never warn. With
 * `allowPrivate` (local development), IP literals and special-use names do
 * not warn either: they are reached directly, never through Cloudflare's proxy.
 * @example urlWarnings(new URL("https://api.example.com:9443"), { allowPrivate: false }) // ["url port 9443 …"]
 */
export function urlWarnings(url: URL, opts: { allowPrivate: boolean; field?: string }): string[] {
  if (url.protocol !== "http:" && url.protocol !== "https:") return [];
  if (url.port === "" || PROXIED_PORTS.has(Number(url.port))) return [];
  if (opts.allowPrivate && classifyHost(url.hostname) !== "name") return [];
  const list = [...PROXIED_PORTS].sort((a, b) => a - b).join(", ");
  return [
    `${opts.field ?? "url"} port ${url.port} is not one of Cloudflare's proxied ports (${list}): it only works ` +
      `when ${url.hostname} is not proxied by Cloudflare (a DNS-only record); on a proxied name use one of those ports`,
  ];
}
