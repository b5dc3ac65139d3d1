import type { Retries } from "../model/service";

/** What one try at an origin came to. */
export type TryResult =
  | { kind: "response"; response: Response; ms: number }
  | { kind: "connect-failure"; error: string; ms: number }
  | { kind: "timeout"; ms: number };

/**
 * Sends one request to an origin, aborting it after `timeoutMs` without
 * response headers. The timer stops once headers arrive, so a slow body
 * still streams.
 * @example const r = await tryOnce("https://10.0.0.7/users", { method: "GET" }, 5000, Date.now)
 */
export async function tryOnce(url: string, init: RequestInit, timeoutMs: number, clock: () => number): Promise<TryResult> {
  const started = clock();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal: controller.signal });
    return { kind: "response", response, ms: clock() - started };
  } catch (err) {
    if (timedOut) return { kind: "timeout", ms: clock() - started };
    return { kind: "connect-failure", error: err instanceof Error ? err.message : String(err), ms: clock() - started };
  } finally {
    clearTimeout(timer);
  }
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
      return (s >= 500 && retryOn.includes("5xx")) || ((s === 502 || s === 503 || s === 504) && retryOn.includes("gateway-error"));
    }
  }
}

/** Full-jitter exponential backoff before retry `n` (1-based): up to 25 ms, 50 ms, … capped at 250 ms. */
export function backoffMs(n: number, rng: () => number): number {
  return Math.round(rng() * Math.min(250, 25 * 2 ** (n - 1)));
}
