import type { EncodedBatch } from "./types";

/**
 * Elasticsearch/OpenSearch `_bulk` (NDJSON): a `create` action line, then
 * the document with `@timestamp` added, per entry. The index comes from the
 * sink URL (`https://es.example.com/mesh-logs/_bulk`); `create` also works
 * for data streams. Elasticsearch answers 200 even when single documents
 * fail (`"errors": true`); like any 2xx, that acknowledges the batch.
 * @example elasticsearch(['{"ts":"2026-11-28T10:00:00.000Z"}']).body // '{"create":{}}\n{"@timestamp":"2026-11-28T10:00:00.000Z","ts":…}\n'
 */
export function elasticsearch(lines: readonly string[]): EncodedBatch {
  const body = lines
    .map((line) => {
      const doc = JSON.parse(line) as { ts?: string };
      return `{"create":{}}\n${JSON.stringify({ "@timestamp": doc.ts, ...doc })}\n`;
    })
    .join("");
  return { body, contentType: "application/x-ndjson" };
}
