/** RFC 9110 §7.6.1 hop-by-hop fields, plus the proxy-only ones, never forwarded. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Fields a client could use to spoof what the mesh saw or asserts; replaced by the mesh's own values. */
const SPOOFABLE = [
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
  "forwarded",
  "true-client-ip",
  "x-client-ip",
  "x-original-url",
  "x-rewrite-url",
];

/**
 * Prefixes of fields only a mesh or proxy sets: a client's `x-mesh-*` could
 * pose as this mesh's own (`x-mesh-identity`, `x-mesh-hops`…) to an origin
 * that trusts them, and `x-envoy-*` steer Envoy sidecars behind the mesh.
 */
const RESERVED_PREFIXES = ["x-mesh-", "x-envoy-"];

/** What never reaches an origin: hop-by-hop fields, `Host` (the origin gets its own URL's) and the spoofable ones. */
const UPSTREAM_DROPPED = new Set([...HOP_BY_HOP, "host", ...SPOOFABLE]);
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);

function droppedUpstream(name: string): boolean {
  return UPSTREAM_DROPPED.has(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function hopByHop(name: string): boolean {
  return HOP_BY_HOP_SET.has(name);
}

/** Longest loop the mesh forwards: a request that would make a 6th hop is answered 508. */
export const MAX_HOPS = 5;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The client's request id when it is well-formed (8–128 of `A-Z a-z 0-9 . _ : -`), else a new UUID. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** The host the client asked for: its `Host` field, else the URL's. */
export function hostOf(headers: Headers, url: URL): string {
  return headers.get("host") ?? url.host;
}

/** The client address Cloudflare saw (`cf-connecting-ip`), if any. */
export function clientIpOf(headers: Headers): string | null {
  return headers.get("cf-connecting-ip");
}

/** The incoming `x-mesh-hops` count (0 when absent or malformed). */
export function hopsOf(headers: Headers): number {
  const n = Number.parseInt(headers.get("x-mesh-hops") ?? "0", 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** An RFC 9110 field name (a token); `Headers.delete` throws on anything else. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Deletes the fields `dropped` names, and those the `Connection` field names
 * (a client's entry that is no field name names nothing, and is skipped).
 * One pass over the fields finds them, so only fields there are deleted: a
 * runtime call each, where deleting every name that might be there cost one per name.
 */
function deleteFields(headers: Headers, dropped: (name: string) => boolean): Headers {
  const gone: string[] = [];
  headers.forEach((value, name) => {
    if (dropped(name)) gone.push(name);
    if (name !== "connection") return;
    for (const entry of value.split(",")) {
      const named = entry.trim();
      if (FIELD_NAME.test(named)) gone.push(named);
    }
  });
  for (const name of gone) headers.delete(name);
  return headers;
}

/** Removes hop-by-hop fields, including those the `Connection` field names. */
export function stripHopByHop(headers: Headers): Headers {
  return deleteFields(headers, hopByHop);
}

/** What the mesh saw of the client, to be asserted to the origin. */
export interface ForwardedFacts {
  clientIp: string | null;
  proto: string;
  host: string;
  requestId: string;
  hops: number;
}

/**
 * Headers for the request to an origin: hop-by-hop and `Host` removed, and
 * every field a client could spoof (forwarding, client-IP and URL-rewrite
 * fields, `x-mesh-*`, `x-envoy-*`); forwarding fields set from what the mesh saw,
 * request id kept or generated, hop count incremented.
 * @example upstreamHeaders(request.headers, { clientIp, proto: "https", host, requestId, hops })
 */
export function upstreamHeaders(incoming: Headers, facts: ForwardedFacts): Headers {
  // The origin gets its own URL's host, as Cloudflare's edge sends it whatever a Worker sets; local workerd
  // would send this field as given, so it goes here too. The client's host travels in x-forwarded-host.
  const headers = deleteFields(new Headers(incoming), droppedUpstream);
  if (facts.clientIp) headers.set("x-forwarded-for", facts.clientIp);
  headers.set("x-forwarded-proto", facts.proto);
  headers.set("x-forwarded-host", facts.host);
  headers.set("x-request-id", facts.requestId);
  headers.set("x-mesh-hops", String(facts.hops + 1));
  return headers;
}

/**
 * Headers for the response to the client, changed in place (a mutable copy of the origin's): hop-by-hop
 * removed, the mesh's own fields added.
 */
export function downstreamHeaders(
  headers: Headers,
  originId: string,
  attempts: number,
  meshMs: number,
  upstreamMs: number,
  requestId: string,
): Headers {
  stripHopByHop(headers);
  headers.set("x-mesh-origin", originId);
  headers.set("x-mesh-attempts", String(attempts));
  headers.set("x-request-id", requestId);
  const timing = `mesh;dur=${meshMs.toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)}`;
  const existing = headers.get("server-timing");
  headers.set("server-timing", existing ? `${existing}, ${timing}` : timing);
  return headers;
}
