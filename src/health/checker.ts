import type { HealthCheck } from "../model/service";
import type { CheckResult } from "./active";
import { describeEdgeError, peekEdgeError } from "./edge-error";

/**
 * How an active check reaches an origin: `fetch` for http(s) origins plus
 * service bindings for `service://` ones in production (see
 * src/clients/service-binding.ts), injectable in tests.
 */
export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

/** The header naming the region a check runs from (SPEC §6, §7). */
export const CHECK_REGION_HEADER = "x-mesh-check-region";
/** The region of a check when the service names none. */
export const DEFAULT_REGION = "default";

/** Joins an origin base URL and a check path, keeping the base's path prefix. */
export function checkUrl(base: string, path: string): string {
  const url = new URL(base);
  const prefix = url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
  const [p, q] = path.split("?", 2);
  url.pathname = prefix + p;
  url.search = q === undefined ? "" : `?${q}`;
  return url.toString();
}

/** Reads at most `max` bytes of a body, as text. */
async function readPrefix(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return new TextDecoder().decode(concat(chunks)).slice(0, max);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Why a fetch failed, in the words events use. */
function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs}ms`;
  const message = err instanceof Error ? err.message : String(err);
  return /refused|connect|network|binding/i.test(message) ? `connect failed: ${message}` : `request failed: ${message}`;
}

/**
 * Runs one active health check against an origin: never from a cache
 * (`cache: "no-store"`), never following a redirect (a 3xx is judged by
 * `expected_status`), with `x-mesh-check-region`. An answer Cloudflare's
 * edge made itself (error 1003, 52x …) fails the check as a connect failure,
 * whatever `expected_status` says.
 * @example const r = await runCheck("https://users-1.example.com", service.health_check, fetch, Date.now)
 */
export async function runCheck(
  base: string,
  hc: HealthCheck,
  fetcher: Fetcher,
  clock: () => number,
  region: string = DEFAULT_REGION,
): Promise<CheckResult> {
  const started = clock();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, hc.timeout_ms);
  try {
    const { edge, response: res } = await peekEdgeError(
      await fetcher(checkUrl(base, hc.path), {
        method: hc.method,
        headers: { "user-agent": "flaremesh-health-check", ...hc.headers, [CHECK_REGION_HEADER]: region },
        redirect: "manual",
        cache: "no-store",
        signal: controller.signal,
      }),
    );
    let error: string | null = null;
    if (edge !== null) error = `connect failed: ${describeEdgeError(edge)}`;
    else if (!hc.expected_status.includes(res.status)) error = `status ${res.status}`;
    else if (hc.body_contains !== null) {
      const text = await readPrefix(res, 64 * 1024);
      if (!text.includes(hc.body_contains)) error = `body did not contain '${hc.body_contains}'`;
    }
    if (hc.body_contains === null || error !== null) await res.body?.cancel().catch(() => {});
    return { ok: error === null, latencyMs: clock() - started, error };
  } catch (err) {
    return { ok: false, latencyMs: clock() - started, error: describeFailure(err, timedOut, hc.timeout_ms) };
  } finally {
    clearTimeout(timer);
  }
}
