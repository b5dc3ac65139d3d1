import type { EncodedBatch } from "./types";

/**
 * Newline-delimited JSON: one entry per line, each line ending in `\n`
 * (Vector, Fluent Bit, Logstash http inputs, most log collectors).
 * @example ndjson(['{"a":1}', '{"a":2}']).body // '{"a":1}\n{"a":2}\n'
 */
export function ndjson(lines: readonly string[]): EncodedBatch {
  return { body: lines.map((l) => `${l}\n`).join(""), contentType: "application/x-ndjson" };
}
