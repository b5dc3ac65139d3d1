import { DurableObject } from "cloudflare:workers";
import type { MeshEnv } from "../src/config";
import type { BufferStats } from "../src/model/log-buffer";
import type { LogEntry } from "../src/model/log-entry";
import type { LogSinkInput, StoredSink } from "../src/model/log-sink";
import type { CounterDeltas } from "../src/observability/counters";
import { iso } from "../src/model/time";
import { bufferLimits } from "../src/observability/limits";
import { type Batch, LogStore, type SinkRow } from "./log-store";
import { LOG_MIGRATIONS } from "./log-schema";
import { migrate } from "./schema";

/**
 * The request-log buffer and metric counter store: one SQLite-backed
 * instance (named "global"). Isolates append batches of log lines together
 * with their counter deltas; the Worker's cron reads batches per sink, ships
 * them and acknowledges. It only keeps state and answers RPC — all network
 * I/O to sinks happens in the Worker.
 */
export class LogBuffer extends DurableObject<Env> {
  private readonly store: LogStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, LOG_MIGRATIONS);
    this.store = new LogStore(ctx.storage, bufferLimits(env as MeshEnv));
  }

  /** One isolate's batch: JSON log lines, counter deltas, and entries it had to drop. Returns how many older entries were dropped unshipped to make room. */
  append(lines: string[], deltas: CounterDeltas = [], isolateDropped = 0): number {
    return this.store.append(lines, deltas, isolateDropped, Date.now());
  }

  /** The newest request logs, newest first. (Not named `tail`: that is a reserved handler name, not callable over RPC.) */
  recent(limit: number): LogEntry[] {
    return this.store.tail(limit).map((line) => JSON.parse(line) as LogEntry);
  }

  putSink(name: string, config: LogSinkInput): { created: boolean; sink: StoredSink } {
    const created = this.store.putSink(name, config, Date.now());
    return { created, sink: this.sink(name)! };
  }

  sinks(): StoredSink[] {
    return this.store.sinkRows().map((row) => this.view(row));
  }

  sink(name: string): StoredSink | null {
    const row = this.store.sinkRow(name);
    return row && this.view(row);
  }

  deleteSink(name: string): boolean {
    return this.store.deleteSink(name);
  }

  /** Sinks the cron should ship to now: those not backing off. */
  dueSinks(): StoredSink[] {
    const now = Date.now();
    return this.store
      .sinkRows()
      .filter((s) => s.next_attempt_at === null || s.next_attempt_at <= now)
      .map((row) => this.view(row));
  }

  /** The next batch for a sink (empty `lines` when it is up to date), or null if there is no such sink. */
  read(sink: string, max: number, maxBytes: number): Batch | null {
    return this.store.read(sink, max, maxBytes);
  }

  /** The sink answered 2xx for the batch ending at `upTo`. */
  ack(sink: string, upTo: number, count: number): boolean {
    return this.store.ack(sink, upTo, count, Date.now());
  }

  /** The sink failed; returns the epoch ms of its next attempt. */
  fail(sink: string, error: string): number | null {
    return this.store.fail(sink, error, Date.now());
  }

  /** Every stored counter, and the buffer's own totals. */
  metrics(): { counters: CounterDeltas; buffer: BufferStats } {
    return { counters: this.store.counters(), buffer: this.store.stats() };
  }

  private view(row: SinkRow): StoredSink {
    return {
      name: row.name,
      config: JSON.parse(row.config) as LogSinkInput,
      status: {
        pending: this.store.pendingAfter(row.cursor),
        shipped: row.shipped,
        dropped: row.dropped,
        consecutive_failures: row.failures,
        last_error: row.last_error,
        last_attempt_at: iso(row.last_attempt_at),
        last_success_at: iso(row.last_success_at),
        next_attempt_at: iso(row.next_attempt_at),
      },
    };
  }
}
