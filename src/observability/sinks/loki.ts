import type { LogEntry } from "../../model/log-entry";
import type { EncodedBatch } from "./types";

/**
 * Loki's push API (`POST /loki/api/v1/push`, JSON): one stream per service,
 * labelled `{job="flaremesh", service="…"}` — few, bounded labels, as Loki
 * wants; everything else stays in the line. Timestamps are the request's
 * arrival in nanoseconds, as strings.
 * @example loki(lines).body // {"streams":[{"stream":{"job":"flaremesh","service":"users"},"values":[["1764324000000000000","{…}"]]}]}
 */
export function loki(lines: readonly string[]): EncodedBatch {
  const streams = new Map<string, [string, string][]>();
  for (const line of lines) {
    const entry = JSON.parse(line) as LogEntry;
    const service = entry.service ?? "";
    const ms = Date.parse(entry.ts);
    const values = streams.get(service) ?? [];
    values.push([`${Number.isFinite(ms) ? ms : Date.now()}000000`, line]);
    streams.set(service, values);
  }
  const body = {
    streams: [...streams].map(([service, values]) => ({
      stream: { job: "flaremesh", service: service === "" ? "none" : service },
      values,
    })),
  };
  return { body: JSON.stringify(body), contentType: "application/json" };
}
