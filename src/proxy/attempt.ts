import { MESH_ERROR_HEADER } from "../errors";
import type { ServiceFetcher } from "../clients/service-binding";
import { describeEdgeError, peekEdgeError } from "../health/edge-error";
import type { Retries } from "../model/service";

/**
 * What one try at an origin came to. An answer Cloudflare's edge made
 * itself (error 1003, 52x …) is a connect failure, with its code in `edge`.
 */
export type TryResult =
  | { kind: "response"; response: Response; ms: number }
  | { kind: "connect-failure"; error: string; ms: number; edge?: string }
  | { kind: "timeout"; ms: number };

/**
 * What every try of one request sends, made once per request: redirects go
 * back to the client (`manual`), and `signal` is each try's own, set by `tryOnce`.
 */
export interface TryInit extends RequestInit {
  method: string;
  redirect: "manual";
  signal: AbortSignal | null;
}

/**
 * The init of a request's tries.
 * @example const init = tryInit("GET", headers, null)
 */
export function tryInit(method: string, headers: Headers, body: BodyInit | null): TryInit {
  return { method, headers, body, redirect: "manual", signal: null };
}

/**
 * Sends one request to an origin — through `via` (a service binding) when
 * given, else the global `fetch` — aborting it after `timeoutMs` without
 * response headers. The timer stops once headers arrive, so a slow body
 * still streams. `fetch` reads `init` before it returns, so each try (a
 * hedge's too) can put its own signal in the request's `init` rather than
 * copy it. `upgrade`: a WebSocket upgrade, whose answer is judged an edge
 * error by its status only. `controller`: lets a hedge race abort the try too.
 * @example const r = await tryOnce("https://users-1.example.com/users", tryInit("GET", headers, null), 5000, Date.now)
 */
export async function tryOnce(
  url: string,
  init: TryInit,
  timeoutMs: number,
  clock: () => number,
  via: ServiceFetcher | null = null,
  upgrade = false,
  controller = new AbortController(),
): Promise<TryResult> {
  const started = clock();
  const timer = setTimeout(abortTry, timeoutMs, controller);
  init.signal = controller.signal;
  try {
    const answer = await (via === null ? fetch(url, init) : via.fetch(url, init));
    // Only a 4xx or 5xx can be the edge's own answer (needsPeek): anything else is the origin's, as it is.
    if (answer.status < 400) return { kind: "response", response: answer, ms: clock() - started };
    const { edge, response } = await peekEdgeError(answer, upgrade ? STATUS_ONLY : WITH_BODY);
    if (edge !== null) {
      await response.body?.cancel().catch(() => {});
      return { kind: "connect-failure", error: describeEdgeError(edge), ms: clock() - started, edge: edge.code };
    }
    return { kind: "response", response, ms: clock() - started };
  } catch (err) {
    // Aborted by the timer, or by a hedge race that another try won.
    if (controller.signal.aborted) return { kind: "timeout", ms: clock() - started };
    return { kind: "connect-failure", error: err instanceof Error ? err.message : String(err), ms: clock() - started };
  } finally {
    clearTimeout(timer);
  }
}

const STATUS_ONLY = { body: false };
const WITH_BODY = { body: true };

/** A try's timer ran out before response headers came: abort it (a module function, so a try makes no closure). */
function abortTry(controller: AbortController): void {
  controller.abort();
}

/** Whether a try failed, for passive health and load estimates: no answer, or a 5xx. */
export function failed(result: TryResult): boolean {
  return result.kind !== "response" || result.response.status >= 500;
}

/** Whether the service's `retry_on` covers this failure. */
export function retryable(result: TryResult, retryOn: Retries["retry_on"]): boolean {
  switch (result.kind) {
    case "connect-failure":
      return retryOn.includes("connect-failure");
    case "timeout":
      return retryOn.includes("timeout");
    case "response": {
      const s = result.response.status;
      if (s >= 500 && result.response.headers.has(MESH_ERROR_HEADER)) return false;
      return (
        (s >= 500 && retryOn.includes("5xx")) ||
        ((s === 502 || s === 503 || s === 504) && retryOn.includes("gateway-error"))
      );
    }
  }
}

/** Full-jitter exponential backoff before retry `n` (1-based): up to 25 ms, 50 ms, … capped at 250 ms. */
export function retryPauseMs(n: number, rng: () => number): number {
  return Math.round(rng() * Math.min(250, 25 * 2 ** (n - 1)));
}
