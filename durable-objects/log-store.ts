import type { BufferStats } from "../src/model/log-buffer";
import type { LogSinkInput } from "../src/model/log-sink";
import { sinkBackoffMs } from "../src/observability/backoff";
import type { CounterDeltas } from "../src/observability/counters";
import type { BufferLimits } from "../src/observability/limits";

/** A `sinks` row. */
export interface SinkRow {
  name: string;
  config: string;
  cursor: number;
  shipped: number;
  dropped: number;
  failures: number;
  next_attempt_at: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  created_at: number;
  updated_at: number;
  [key: string]: SqlStorageValue;
}

/** Entries a sink has not acknowledged yet, oldest first. */
export interface Batch {
  sink: string;
  /** The last seq the sink had acknowledged. */
  after: number;
  /** The seq of the last entry in `lines`: acknowledge up to it. */
  upTo: number;
  lines: string[];
}

type MetaKey = "last_seq" | "bytes" | "evicted" | "isolate_dropped";

/**
 * The LogBuffer's SQL and its rules: bounded append (oldest dropped and
 * counted), per-sink cursors, pruning of what every sink acknowledged.
 * Methods are synchronous, so each runs without interleaving (input gate).
 */
export class LogStore {
  constructor(
    private readonly storage: DurableObjectStorage,
    readonly limits: BufferLimits,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Appends a batch, applies counter deltas and enforces the bounds, in one transaction; returns how many entries were dropped unshipped. */
  append(lines: readonly string[], deltas: CounterDeltas, isolateDropped: number, now: number): number {
    return this.storage.transactionSync(() => {
      const last = this.meta("last_seq");
      let bytes = 0;
      if (lines.length > 0) {
        // One statement for the whole batch (a call per line cost more than the rows): json_each numbers the
        // lines from 0, and a line's size is its UTF-8 length, as SQLite counts a text cast to a blob.
        this.sql.exec(
          `INSERT INTO entries (seq, at, bytes, line)
             SELECT ? + key + 1, ?, length(CAST(value AS BLOB)), value FROM json_each(?)`,
          last,
          now,
          JSON.stringify(lines),
        );
        bytes = this.sql
          .exec<{ n: number }>(`SELECT COALESCE(SUM(bytes), 0) AS n FROM entries WHERE seq > ?`, last)
          .one().n;
      }
      this.setMeta("last_seq", last + lines.length);
      this.addMeta("bytes", bytes);
      this.addMeta("isolate_dropped", isolateDropped);
      // One statement for every delta too: a batch carries about twenty series per origin (histogram buckets),
      // and a statement each cost more than the rows. `WHERE true` lets SQLite parse the upsert after a SELECT.
      if (deltas.length > 0) {
        this.sql.exec(
          `INSERT INTO counters (series, value)
             SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
             ON CONFLICT (series) DO UPDATE SET value = value + excluded.value`,
          JSON.stringify(deltas),
        );
      }
      const evicted = this.evict();
      this.prune();
      return evicted;
    });
  }

  /** The newest `limit` lines, newest first. */
  tail(limit: number): string[] {
    return this.sql
      .exec<{ line: string }>(`SELECT line FROM entries ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .map((r) => r.line);
  }

  /** Creates or replaces a sink. A new sink starts at the current end of the buffer; a replaced one keeps its cursor and counters, and is tried again at once. */
  putSink(name: string, config: LogSinkInput, now: number): boolean {
    return this.storage.transactionSync(() => {
      const json = JSON.stringify(config);
      if (this.sinkRow(name)) {
        this.sql.exec(
          `UPDATE sinks SET config = ?, failures = 0, next_attempt_at = NULL, updated_at = ? WHERE name = ?`,
          json,
          now,
          name,
        );
        return false;
      }
      this.sql.exec(
        `INSERT INTO sinks (name, config, cursor, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
        name,
        json,
        this.meta("last_seq"),
        now,
        now,
      );
      return true;
    });
  }

  sinkRows(): SinkRow[] {
    return this.sql.exec<SinkRow>(`SELECT * FROM sinks ORDER BY name`).toArray();
  }

  sinkRow(name: string): SinkRow | null {
    return this.sql.exec<SinkRow>(`SELECT * FROM sinks WHERE name = ?`, name).toArray()[0] ?? null;
  }

  /** Deletes a sink; entries only it still needed become prunable. */
  deleteSink(name: string): boolean {
    return this.storage.transactionSync(() => {
      const deleted = this.sql.exec(`DELETE FROM sinks WHERE name = ?`, name).rowsWritten > 0;
      if (deleted) this.prune();
      return deleted;
    });
  }

  /** Entries after the sink's cursor: at most `max` of them and `maxBytes` of lines (but at least one). */
  read(name: string, max: number, maxBytes: number): Batch | null {
    const sink = this.sinkRow(name);
    if (!sink) return null;
    const lines: string[] = [];
    let upTo = sink.cursor;
    let bytes = 0;
    for (const row of this.sql.exec<{ seq: number; bytes: number; line: string }>(
      `SELECT seq, bytes, line FROM entries WHERE seq > ? ORDER BY seq LIMIT ?`,
      sink.cursor,
      max,
    )) {
      if (lines.length > 0 && bytes + row.bytes > maxBytes) break;
      lines.push(row.line);
      bytes += row.bytes;
      upTo = row.seq;
    }
    return { sink: name, after: sink.cursor, upTo, lines };
  }

  /** The sink took entries through `upTo` (a 2xx): advance its cursor, clear its back-off, prune. */
  ack(name: string, upTo: number, count: number, now: number): boolean {
    return this.storage.transactionSync(() => {
      const updated =
        this.sql.exec(
          `UPDATE sinks SET cursor = MAX(cursor, ?), shipped = shipped + ?, failures = 0, next_attempt_at = NULL,
           last_error = NULL, last_attempt_at = ?, last_success_at = ? WHERE name = ?`,
          upTo,
          count,
          now,
          now,
          name,
        ).rowsWritten > 0;
      if (updated) this.prune();
      return updated;
    });
  }

  /** The sink failed: count it and back off exponentially. Returns when it may be tried again, or null if it does not exist. */
  fail(name: string, error: string, now: number): number | null {
    const sink = this.sinkRow(name);
    if (!sink) return null;
    const next = now + sinkBackoffMs(sink.failures + 1);
    this.sql.exec(
      `UPDATE sinks SET failures = failures + 1, next_attempt_at = ?, last_error = ?, last_attempt_at = ? WHERE name = ?`,
      next,
      error.slice(0, 500),
      now,
      name,
    );
    return next;
  }

  counters(): CounterDeltas {
    return this.sql
      .exec<{ series: string; value: number }>(`SELECT series, value FROM counters ORDER BY series`)
      .toArray()
      .map((r): [string, number] => [r.series, r.value]);
  }

  /** How many stored entries come after `cursor`. */
  pendingAfter(cursor: number): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries WHERE seq > ?`, cursor).one().n;
  }

  stats(): BufferStats {
    const entries = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n;
    const sinks = this.sinkRows().map((s) => ({
      name: s.name,
      pending: this.pendingAfter(s.cursor),
      shipped: s.shipped,
      dropped: s.dropped,
      failures: s.failures,
      last_attempt_ms: s.last_attempt_at,
    }));
    return {
      entries,
      bytes: this.meta("bytes"),
      max_entries: this.limits.maxEntries,
      max_bytes: this.limits.maxBytes,
      evicted: this.meta("evicted"),
      isolate_dropped: this.meta("isolate_dropped"),
      sinks,
    };
  }

  /** Drops the oldest entries while the buffer is over a bound; counts, per sink, the ones it had not acknowledged. */
  private evict(): number {
    const first = this.firstSeq();
    if (first === null) return 0;
    const last = this.meta("last_seq");
    const count = last - first + 1;
    let through = count > this.limits.maxEntries ? first + (count - this.limits.maxEntries) - 1 : first - 1;
    let excess = this.meta("bytes") - this.limits.maxBytes - this.bytesThrough(through);
    while (excess > 0 && through < last) {
      for (const row of this.sql.exec<{ seq: number; bytes: number }>(
        `SELECT seq, bytes FROM entries WHERE seq > ? ORDER BY seq LIMIT 500`,
        through,
      )) {
        through = row.seq;
        excess -= row.bytes;
        if (excess <= 0) break;
      }
    }
    if (through < first) return 0;
    // Seqs are contiguous, so "entries in (cursor, through]" is a subtraction.
    const minCursor = this.sql.exec<{ c: number | null }>(`SELECT MIN(cursor) AS c FROM sinks`).one().c;
    const unshipped = minCursor === null ? 0 : Math.max(0, through - Math.max(minCursor, first - 1));
    this.sql.exec(
      `UPDATE sinks SET dropped = dropped + (? - MAX(cursor, ?)), cursor = ? WHERE cursor < ?`,
      through,
      first - 1,
      through,
      through,
    );
    this.addMeta("evicted", unshipped);
    this.deleteThrough(through);
    return unshipped;
  }

  /** Deletes what every sink acknowledged, but keeps the newest `tailKeep` entries for `GET /logs`. */
  private prune(): void {
    const last = this.meta("last_seq");
    const minCursor = this.sql.exec<{ c: number | null }>(`SELECT MIN(cursor) AS c FROM sinks`).one().c;
    const through = Math.min(minCursor ?? last, last - this.limits.tailKeep);
    const first = this.firstSeq();
    if (first !== null && through >= first) this.deleteThrough(through);
  }

  private deleteThrough(seq: number): void {
    const bytes = this.bytesThrough(seq);
    this.sql.exec(`DELETE FROM entries WHERE seq <= ?`, seq);
    this.addMeta("bytes", -bytes);
  }

  private bytesThrough(seq: number): number {
    return this.sql.exec<{ b: number }>(`SELECT COALESCE(SUM(bytes), 0) AS b FROM entries WHERE seq <= ?`, seq).one().b;
  }

  private firstSeq(): number | null {
    return this.sql.exec<{ s: number | null }>(`SELECT MIN(seq) AS s FROM entries`).one().s;
  }

  private meta(key: MetaKey): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM meta WHERE key = ?`, key).one().value;
  }

  private setMeta(key: MetaKey, value: number): void {
    this.sql.exec(`UPDATE meta SET value = ? WHERE key = ?`, value, key);
  }

  private addMeta(key: MetaKey, delta: number): void {
    if (delta !== 0) this.sql.exec(`UPDATE meta SET value = value + ? WHERE key = ?`, delta, key);
  }
}
