import type { EncodedBatch } from "./types";

/**
 * One JSON array holding every entry of the batch.
 * @example jsonArray(['{"a":1}']).body // '[{"a":1}]'
 */
export function jsonArray(lines: readonly string[]): EncodedBatch {
  return { body: `[${lines.join(",")}]`, contentType: "application/json" };
}
