import type { Route, ServiceConfig } from "../model/service";

/** A route of a service, ready to match. */
export interface CompiledRoute {
  service: string;
  route: Route;
  prefix: string;
}

/** Routes of one host tier, longest path prefix first. */
type Tier = CompiledRoute[];

/**
 * The compiled route matcher: exact hosts, then leading wildcards (longest
 * suffix first), then routes without a host; within the first tier that
 * has a matching prefix, the longest prefix wins.
 */
export interface RouteMatcher {
  match(host: string, path: string): CompiledRoute | null;
}

/**
 * Whether `path` falls under `prefix`. Prefixes match whole path segments:
 * `/users` matches `/users` and `/users/7` but not `/usersettings`; a
 * prefix ending in `/` matches everything below it.
 */
export function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path.charCodeAt(prefix.length) === 47; // "/"
}

function firstMatch(tier: Tier | undefined, path: string): CompiledRoute | null {
  if (!tier) return null;
  for (const r of tier) if (prefixMatches(r.prefix, path)) return r;
  return null;
}

/** The request's host, lower-cased, without port or trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  if (colon !== -1) h = h.slice(0, colon);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/**
 * Compiles every service's routes into a matcher. Ties (same host and
 * prefix in two services) go to the service whose name sorts first, so
 * the result never depends on registration order.
 * @example compileRoutes(snapshot.services).match("api.example.com", "/users/7")
 */
export function compileRoutes(services: readonly ServiceConfig[]): RouteMatcher {
  const exact = new Map<string, Tier>();
  const wildcard = new Map<string, Tier>();
  const any: Tier = [];
  for (const svc of [...services].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    for (const route of svc.routes) {
      const compiled: CompiledRoute = { service: svc.name, route, prefix: route.path_prefix };
      const host = route.host;
      if (host === undefined) any.push(compiled);
      else if (host.startsWith("*.")) push(wildcard, host.slice(2), compiled);
      else push(exact, host, compiled);
    }
  }
  const byPrefix = (a: CompiledRoute, b: CompiledRoute) => b.prefix.length - a.prefix.length;
  for (const tier of [...exact.values(), ...wildcard.values(), any]) tier.sort(byPrefix);
  return {
    match(rawHost, path) {
      const host = normalizeHost(rawHost);
      const hit = firstMatch(exact.get(host), path);
      if (hit) return hit;
      // *.example.com matches any name below example.com (not example.com itself).
      for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const found = firstMatch(wildcard.get(host.slice(dot + 1)), path);
        if (found) return found;
      }
      return firstMatch(any, path);
    },
  };
}

function push(map: Map<string, Tier>, key: string, route: CompiledRoute): void {
  const tier = map.get(key);
  if (tier) tier.push(route);
  else map.set(key, [route]);
}
