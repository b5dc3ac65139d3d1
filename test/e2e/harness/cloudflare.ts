import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { Response as MfResponse } from "miniflare";

// What Cloudflare's edge answers on its own, instead of the origin, when a
// Worker's fetch() cannot be sent where it asked. Sources, as of writing:
// - 1003 "Direct IP access not allowed", HTTP 403: developers.cloudflare.com/support/troubleshooting/
//   http-status-codes/cloudflare-1xxx-errors/error-1003/; a Worker's fetch() of an IP literal gets it
//   with the plain-text body "error code: 1003" (cloudflare/workers-docs#981).
// - 1016 "Origin DNS error", HTTP 530: …/cloudflare-1xxx-errors/error-1016/ (Workers subrequests listed).
// - 520 (empty/unknown answer), 521 (connection refused), 522 (connect timed out), 524 (no answer in 100 s),
//   525 (TLS handshake failed), 526 (invalid origin certificate):
//   …/http-status-codes/cloudflare-5xx-errors/; Workers subrequests get them as "error code: 52x" bodies.
// - "HTTP errors such as 403, 530 … are returned in the status; 1XXX errors appear in the body":
//   …/cloudflare-1xxx-errors/ (index). Non-HTML clients get the one-line text body.

/** Cloudflare's proxied HTTP ports (developers.cloudflare.com/fundamentals/reference/network-ports/). */
export const PROXIED_HTTP_PORTS: ReadonlySet<number> = new Set([80, 8080, 8880, 2052, 2082, 2086, 2095]);
/** Cloudflare's proxied HTTPS ports (same page). */
export const PROXIED_HTTPS_PORTS: ReadonlySet<number> = new Set([443, 2053, 2083, 2087, 2096, 8443]);

/** The edge errors this layer answers, by the code in their body. */
export type EdgeErrorCode = "1003" | "1016" | "520" | "521" | "522" | "524" | "525" | "526";

const STATUS: Record<EdgeErrorCode, number> = {
  "1003": 403,
  "1016": 530,
  "520": 520,
  "521": 521,
  "522": 522,
  "524": 524,
  "525": 525,
  "526": 526,
};

/**
 * The answer Cloudflare's edge makes itself: status, the one-line text body
 * and the headers its error answers carry (never cached, a `cf-ray`).
 * @example edgeError("1003") // 403 "error code: 1003"
 */
export function edgeError(code: EdgeErrorCode): MfResponse {
  const ray = `${randomBytes(8).toString("hex")}-LHR`;
  return new MfResponse(`error code: ${code}`, {
    status: STATUS[code],
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      "cache-control": "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
      expires: "Thu, 01 Jan 1970 00:00:01 GMT",
      "referrer-policy": "same-origin",
      "x-frame-options": "SAMEORIGIN",
      server: "cloudflare",
      "cf-ray": ray,
    },
  });
}

/**
 * Whether a URL's host is an IP literal. The WHATWG parser (the Worker's and
 * this one) has already turned every IPv4 spelling it accepts (`127.1`,
 * `2130706433`, `0x7f.1`, `0177.0.0.1`) into dotted quads, and IPv6 into `[…]`.
 * @example isIpLiteral(new URL("http://0x7f.1/").hostname) // true
 */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) !== 0;
}

/** The port a proxied (orange-clouded) host is really reached on: outside Cloudflare's list, the scheme's default. */
export function proxiedPort(protocol: "http:" | "https:", port: number): number {
  const allowed = protocol === "https:" ? PROXIED_HTTPS_PORTS : PROXIED_HTTP_PORTS;
  if (allowed.has(port)) return port;
  return protocol === "https:" ? 443 : 80;
}
