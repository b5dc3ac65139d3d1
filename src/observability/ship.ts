import { allLogShards } from "../clients/log-buffer";
import { type MeshEnv, allowPrivateOrigins, subrequestBudget } from "../config";
import { type ShipResult, type StoredSink, checkSinkUrl } from "../model/log-sink";
import { encodeBatch } from "./sinks/index";

/** Batches one sink may take per run: bounds a cron run's work (raise `batch_max` for more throughput). */
export const MAX_BATCHES_PER_RUN = 10;
/** Largest request body sent to a sink (most log systems accept 4–5 MiB). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** A sink that has not answered by then has failed. */
export const SINK_TIMEOUT_MS = 10_000;
/** No new batch is started after this much of a run. */
export const RUN_BUDGET_MS = 25_000;

/** Test seams: the HTTP client, the run's time budget and its budget of outbound requests. */
export interface ShipOptions {
  fetcher?: typeof fetch;
  budgetMs?: number;
  /** Most batches the run may send, all sinks together (default: MESH_SUBREQUEST_BUDGET). */
  subrequests?: number;
}

/** What is left of a run's outbound requests, shared by the sinks it ships in parallel. */
interface Allowance {
  left: number;
}

type Shard = ReturnType<typeof allLogShards>[number];

/** Where the next run starts among the shards, so that a run out of budget does not always leave the same ones. */
let firstShard = 0;

/**
 * Ships pending request logs of every shard of the log buffer to every sink
 * that is not backing off there, each shard in turn and its sinks in
 * parallel, each sink with its own cursor in each shard: a failing sink
 * records its failure and backs off without holding the others back (and
 * is not tried again in this run's other shards: they back off too).
 * At-least-once: a batch is acknowledged only after a 2xx, so a crash
 * between the two ships it again. The run sends at most
 * MESH_SUBREQUEST_BUDGET batches in all (every outbound fetch of the cron
 * run is one of them): what is left waits for the next run, pending,
 * without counting as a failure.
 * @example ctx.waitUntil(shipLogs(env))
 */
export async function shipLogs(env: MeshEnv, opts: ShipOptions = {}): Promise<ShipResult[]> {
  const deadline = Date.now() + (opts.budgetMs ?? RUN_BUDGET_MS);
  const allowance = { left: opts.subrequests ?? subrequestBudget(env) };
  const shards = allLogShards(env);
  const start = firstShard++ % shards.length;
  const results = new Map<string, ShipResult>();
  for (let k = 0; k < shards.length; k++) {
    const shard = shards[(start + k) % shards.length]!;
    const sinks = await shard.dueSinks();
    const done = await Promise.all(
      sinks.map((sink) => {
        const failed = results.get(sink.name)?.error;
        if (failed) return shard.fail(sink.name, failed).then(() => null);
        return shipSink(env, shard, sink, deadline, opts.fetcher ?? fetch, allowance);
      }),
    );
    for (const r of done) if (r !== null) results.set(r.sink, merge(results.get(r.sink), r));
  }
  return [...results.values()];
}

/**
 * Ships one sink now from every shard, back-off or not (`POST
 * /log-sinks/{name}/flush`); null if there is no such sink.
 * @example const result = await flushSink(env, "loki")
 */
export async function flushSink(env: MeshEnv, name: string, opts: ShipOptions = {}): Promise<ShipResult | null> {
  const shards = allLogShards(env);
  const deadline = Date.now() + (opts.budgetMs ?? RUN_BUDGET_MS);
  const allowance = { left: opts.subrequests ?? subrequestBudget(env) };
  let result: ShipResult | undefined;
  for (const [i, shard] of shards.entries()) {
    const sink = await shard.sink(name);
    if (!sink) {
      if (i === 0) return null;
      continue;
    }
    result = merge(result, await shipSink(env, shard, sink, deadline, opts.fetcher ?? fetch, allowance));
    if (result.error !== null) break;
  }
  return result ?? null;
}

/** One sink's results over several shards. */
function merge(a: ShipResult | undefined, b: ShipResult): ShipResult {
  if (a === undefined) return b;
  return { sink: a.sink, shipped: a.shipped + b.shipped, batches: a.batches + b.batches, error: a.error ?? b.error };
}

async function shipSink(
  env: MeshEnv,
  buffer: Shard,
  sink: StoredSink,
  deadline: number,
  fetcher: typeof fetch,
  allowance: Allowance,
): Promise<ShipResult> {
  const result: ShipResult = { sink: sink.name, shipped: 0, batches: 0, error: null };
  while (result.batches < MAX_BATCHES_PER_RUN && Date.now() < deadline && allowance.left > 0) {
    const batch = await buffer.read(sink.name, sink.config.batch_max, MAX_BATCH_BYTES);
    if (!batch || batch.lines.length === 0) break;
    // Taken after the read, just before the send: sinks ship in parallel, and this runs without a pause in between.
    if (allowance.left <= 0) break;
    allowance.left--;
    const error = await send(env, sink, batch.lines, fetcher);
    if (error !== null) {
      await buffer.fail(sink.name, error);
      return { ...result, error };
    }
    await buffer.ack(sink.name, batch.upTo, batch.lines.length);
    result.shipped += batch.lines.length;
    result.batches++;
  }
  return result;
}

/** POSTs one batch; returns null on a 2xx, else why it failed. */
async function send(env: MeshEnv, sink: StoredSink, lines: string[], fetcher: typeof fetch): Promise<string | null> {
  let url: URL;
  try {
    // Checked again at send time: MESH_ALLOW_PRIVATE_ORIGINS may have changed since the sink was stored.
    url = checkSinkUrl(sink.config.url, { allowPrivate: allowPrivateOrigins(env) });
  } catch (err) {
    return (err as Error).message;
  }
  const { body, contentType } = encodeBatch(sink.config.format, lines);
  const headers = new Headers({ "content-type": contentType, "user-agent": "flaremesh" });
  for (const [name, value] of Object.entries(sink.config.headers)) headers.set(name, value);
  try {
    // Redirects are not followed: a redirect could point past the SSRF guard.
    const res = await fetcher(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(SINK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300 ? null : `sink answered HTTP ${res.status}`;
  } catch (err) {
    const name = (err as Error).name;
    return name === "TimeoutError"
      ? `sink did not answer within ${SINK_TIMEOUT_MS} ms`
      : `could not reach the sink: ${(err as Error).message}`;
  }
}
