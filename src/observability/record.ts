import { isolateLogShard } from "../clients/log-buffer";
import type { MeshEnv } from "../config";
import type { RequestOutcome } from "../model/outcome";
import { writeAnalytics } from "./analytics";
import { clientIpMode, logHashSecret } from "./client-ip";
import { Counters, countOutcome } from "./counters";
import { type PendingLine, finishLine, toLogLine } from "./logs";
import { registryCalls } from "./registry-calls";

/** A batch goes out when it has this many entries… */
export const FLUSH_ENTRIES = 100;
/** …or this long after its first entry arrived. */
export const FLUSH_DELAY_MS = 1000;
/** Most entries an isolate holds while the log buffer is unreachable; beyond it new entries are dropped and counted. */
export const PENDING_MAX = 10_000;

// Isolate memory: shared by every request this isolate serves. An outcome is
// kept as its log line (one string), not as itself: lines wait up to a
// second for their batch, long enough to outlive the young generation.
let pending: PendingLine[] = [];
const counters = new Counters();
let isolateDropped = 0;
/** After a failed flush, batches wait for the timer until then, so an unreachable buffer is not called per request. */
let retryAfter = 0;
/** When the pending flush timer was armed; 0 when none is. */
let timerArmedAt = 0;
let registryCallsSent = 0;

/**
 * Records one proxied request: buffers its log line and metric deltas in
 * isolate memory and hands a batch to the LogBuffer Durable Object with
 * `ctx.waitUntil` (one write per batch: at 100 entries, or 1 s after the
 * first) — never one write per request. Each isolate keeps to one shard of
 * the buffer (src/clients/log-buffer.ts), so no one object takes the fleet's appends.
 * @example recordRequest(env, ctx, { ts: start, request_id: id, method: "GET", … })
 */
export function recordRequest(env: MeshEnv, ctx: ExecutionContext, outcome: RequestOutcome): void {
  if (pending.length < PENDING_MAX) pending.push(toLogLine(outcome, clientIpMode(env.MESH_LOG_CLIENT_IP)));
  else isolateDropped++;
  countOutcome(counters, outcome);
  const now = Date.now();
  if (pending.length >= FLUSH_ENTRIES && now >= retryAfter) {
    ctx.waitUntil(flushRecorder(env));
    return;
  }
  // A timer whose request context was torn down never fires: after a while, arm a new one.
  if (timerArmedAt === 0 || now - timerArmedAt > 10 * FLUSH_DELAY_MS) {
    timerArmedAt = now;
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS)).then(() => {
        timerArmedAt = 0;
        return flushRecorder(env);
      }),
    );
  }
}

/**
 * Sends this isolate's pending log entries and counter deltas (registry RPCs
 * included) to the log buffer in one call; on failure they are kept for the
 * next flush. Never throws.
 * @example await flushRecorder(env) // before reading metrics, so this isolate's counts are in
 */
export async function flushRecorder(env: MeshEnv): Promise<void> {
  const batch = pending;
  pending = [];
  const calls = registryCalls.count - registryCallsSent;
  registryCallsSent = registryCalls.count;
  if (calls > 0) counters.add("mesh_registry_rpc_total", {}, calls);
  const deltas = counters.drain();
  const dropped = isolateDropped;
  isolateDropped = 0;
  if (batch.length === 0 && deltas.length === 0 && dropped === 0) return;
  try {
    const lines = await finishLines(batch, logHashSecret(env));
    await isolateLogShard(env).append(lines, deltas, dropped);
    // Only once stored: a failed flush keeps its deltas for the next one, which would count them twice here.
    writeAnalytics(env.MESH_ANALYTICS, deltas);
  } catch (err) {
    console.error("request log flush failed; keeping the batch for the next flush", err);
    retryAfter = Date.now() + FLUSH_DELAY_MS;
    const room = Math.max(0, PENDING_MAX - pending.length);
    isolateDropped += dropped + Math.max(0, batch.length - room);
    pending = batch.slice(Math.max(0, batch.length - room)).concat(pending);
    counters.merge(deltas);
  }
}

/** The batch's final lines; only `hashed` mode leaves any to finish (its HMAC is asynchronous). */
async function finishLines(batch: PendingLine[], hashSecret: string): Promise<string[]> {
  if (batch.every((l): l is string => typeof l === "string")) return batch;
  return Promise.all(batch.map((l) => finishLine(l, hashSecret)));
}
