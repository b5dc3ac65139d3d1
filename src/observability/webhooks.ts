/** Wait after a webhook's first failed delivery… */
export const WEBHOOK_BACKOFF_BASE_MS = 1_000;
/** …doubling with every further failure, up to this. */
export const WEBHOOK_BACKOFF_CAP_MS = 5 * 60_000;
/** Most webhook POSTs one alarm run makes (on top of its checks' MESH_SUBREQUEST_BUDGET). */
export const WEBHOOK_BUDGET = 5;
/** How long one POST may take. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * How long a webhook rests after its `failures`-th consecutive failure:
 * 1 s, 2 s, 4 s, … capped at 5 minutes (the registry's alarm retries it).
 * @example webhookBackoffMs(3) // 4_000
 */
export function webhookBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(WEBHOOK_BACKOFF_CAP_MS, WEBHOOK_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30));
}

/**
 * The `x-flaremesh-signature` of a body: `sha256=` and the hex HMAC-SHA256 of the exact bytes sent.
 * @example await signature("secret-of-16-chars", '{"event":"health"}') // "sha256=5d…"
 */
export async function signature(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
