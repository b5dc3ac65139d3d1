import type { SinkFormat } from "../../model/log-sink";
import { elasticsearch } from "./elasticsearch";
import { jsonArray } from "./json";
import { loki } from "./loki";
import { ndjson } from "./ndjson";
import type { EncodedBatch } from "./types";

export type { EncodedBatch } from "./types";

const ENCODERS: Record<SinkFormat, (lines: readonly string[]) => EncodedBatch> = {
  ndjson,
  json: jsonArray,
  loki,
  elasticsearch,
};

/**
 * Encodes a batch of log lines (each one JSON-serialised LogEntry) in a sink's format.
 * @example const { body, contentType } = encodeBatch("loki", lines)
 */
export function encodeBatch(format: SinkFormat, lines: readonly string[]): EncodedBatch {
  return ENCODERS[format](lines);
}
