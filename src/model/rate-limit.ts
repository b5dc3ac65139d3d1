import { z } from "@hono/zod-openapi";
import { int } from "./common";

/** A service's rate limit (SPEC §9): `limit` requests per `period_s` per key. */
export const RateLimit = z
  .object({
    key: z
      .string()
      .regex(
        /^(ip|caller|header:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128})$/,
        "must be 'ip' (the client address Cloudflare saw), 'caller' (the calling service) or 'header:<name>'",
      ),
    limit: int(1, 1_000_000),
    period_s: z.union([z.literal(10), z.literal(60)]).openapi({
      description: "10 or 60: the periods Cloudflare's Rate Limiting binding counts in",
    }),
  })
  .strict()
  .openapi("RateLimit");

export type RateLimit = z.infer<typeof RateLimit>;
