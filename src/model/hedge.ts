import { z } from "@hono/zod-openapi";
import { int } from "./common";

/** A service's hedged requests (SPEC §11): a second try of a slow GET/HEAD to another origin. */
export const Hedge = z
  .object({
    delay_ms: int(1, 300_000)
      .nullable()
      .default(null)
      .openapi({
        description:
          "Wait this long for response headers before hedging; null: the service's observed `percentile` " +
          "latency in this isolate (no hedging until it has seen 20 answers)",
      }),
    percentile: int(50, 99).default(95),
    max: int(1, 3).default(1).openapi({ description: "Hedges per request at most, each after another delay" }),
    budget_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .openapi({
        description:
          "Hedges may not exceed this share of the service's GET/HEAD requests over the last 10 s in this " +
          "isolate (plus one a second), apart from the retry budget, so a slow fleet cannot double its load",
      }),
  })
  .strict()
  .openapi("Hedge");

export type Hedge = z.infer<typeof Hedge>;
