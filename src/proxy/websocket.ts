import type { Retries } from "../model/service";

// A WebSocket upgrade is proxied as one long exchange with one origin: the
// runtime's fetch() opens the socket to the origin (the Upgrade field says
// so; workerd makes the handshake itself) and the mesh hands the socket it
// got back to the client in its own 101.

/** Handshake fields of the origin's 101 that belong to its hop: the runtime answers the client's handshake itself. */
const ORIGIN_HANDSHAKE = ["sec-websocket-accept", "sec-websocket-extensions"];

/**
 * Whether a request asks for a WebSocket: a GET with `Upgrade: websocket`.
 * @example if (isWebSocketUpgrade(request)) headers.set("upgrade", "websocket")
 */
export function isWebSocketUpgrade(request: Request): boolean {
  if (request.method !== "GET") return false;
  const upgrade = request.headers.get("upgrade");
  return upgrade !== null && /(^|,)\s*websocket\s*(,|$)/i.test(upgrade);
}

/**
 * What an upgrade retries: connect failures only (when the service's
 * `retry_on` has them) — an origin that answered, even with a 5xx, or
 * timed out has seen the handshake.
 */
export function upgradeRetryOn(retryOn: Retries["retry_on"]): Retries["retry_on"] {
  return retryOn.includes("connect-failure") ? ["connect-failure"] : [];
}

/**
 * The client's 101: the origin's socket, with the mesh's response headers
 * (the negotiated `sec-websocket-protocol` kept), or null when the origin's
 * 101 came without a socket.
 * @example const res = upgradeResponse(last.response, headers) ?? fail(…)
 */
export function upgradeResponse(origin: Response, headers: Headers): Response | null {
  if (origin.webSocket === null) return null;
  for (const name of ORIGIN_HANDSHAKE) headers.delete(name);
  return new Response(null, { status: 101, webSocket: origin.webSocket, headers });
}
