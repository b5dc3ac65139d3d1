import { z } from "@hono/zod-openapi";

/** The log buffer's totals, for metrics and the dashboard. */
export const BufferStats = z.object({
  entries: z.number().int(),
  bytes: z.number().int(),
  max_entries: z.number().int(),
  max_bytes: z.number().int(),
  /** Entries dropped (buffer full) before every sink had acknowledged them. */
  evicted: z.number().int(),
  /** Entries isolates could not hand to the buffer. */
  isolate_dropped: z.number().int(),
  sinks: z.array(
    z.object({
      name: z.string(),
      pending: z.number().int(),
      shipped: z.number().int(),
      dropped: z.number().int(),
      failures: z.number().int(),
      /** Epoch ms of the last delivery attempt (one shard's; the sum over shards takes the latest shard's failures). */
      last_attempt_ms: z.number().int().nullable().optional(),
    }),
  ),
});

export type BufferStats = z.infer<typeof BufferStats>;
