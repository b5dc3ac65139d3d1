import { iso } from "../src/model/time";
import type { WebhookPayload } from "../src/model/webhook";
import { WEBHOOK_TIMEOUT_MS, signature, webhookBackoffMs } from "../src/observability/webhooks";
import type { EventRow } from "./rows";
import type { WebhookStore } from "./webhook-store";

type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

const payload = (e: EventRow): WebhookPayload => ({
  event: "health",
  at: iso(e.at),
  service: e.service,
  origin: e.origin,
  from: e.from_status,
  to: e.to_status,
  reason: e.reason,
});

/** POSTs one transition; null when the receiver took it (2xx), else why not. */
async function post(fetcher: Fetcher, url: string, secret: string, e: EventRow): Promise<string | null> {
  const body = JSON.stringify(payload(e));
  try {
    const res = await fetcher(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "flaremesh-webhook",
        "x-flaremesh-event": "health",
        "x-flaremesh-delivery": String(e.seq),
        "x-flaremesh-signature": await signature(secret, body),
      },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok ? null : `status ${res.status}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * From the alarm: sends each due webhook its pending health transitions,
 * oldest first, at most `budget` POSTs in all. A failure stops that
 * webhook for this run and backs it off; the transition is sent again later
 * (at least once, in order). Returns how many were delivered.
 */
export async function deliverWebhooks(
  store: WebhookStore,
  fetcher: Fetcher,
  now: () => number,
  budget: number,
): Promise<number> {
  let left = budget;
  let delivered = 0;
  for (const hook of store.rows()) {
    if (left <= 0) break;
    if (hook.next_attempt_at !== null && hook.next_attempt_at > now()) continue;
    for (const e of store.eventsAfter(hook.cursor, left)) {
      left--;
      const error = await post(fetcher, hook.url, hook.secret, e);
      if (error !== null) {
        store.failed(hook.name, error, now(), now() + webhookBackoffMs(hook.failures + 1));
        break;
      }
      store.sent(hook.name, e.seq, now());
      hook.failures = 0;
      delivered++;
    }
  }
  return delivered;
}
