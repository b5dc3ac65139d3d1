import { z } from "@hono/zod-openapi";

/**
 * Warnings about an accepted write (e.g. a port that only works on a
 * DNS-only name). Only in the answer to the write itself: not stored, not
 * in later reads; absent when there is nothing to say.
 */
export const Warnings = z
  .array(z.string())
  .optional()
  .openapi({
    description:
      "Present only in the answer to a create/replace, and only when there is something to say: things that " +
      "were accepted but may not work as meant (a port outside Cloudflare's proxied list). Not stored.",
    example: [
      "url port 9443 is not one of Cloudflare's proxied ports (80, 443, …): it only works when api.example.com " +
        "is not proxied by Cloudflare (a DNS-only record); on a proxied name use one of those ports",
    ],
  });

/**
 * `body` with `warnings` added when there are any.
 * @example c.json(withWarnings(origin, urlWarnings(url, opts)), 201)
 */
export function withWarnings<T extends object>(body: T, warnings: string[]): T & { warnings?: string[] } {
  return warnings.length === 0 ? body : { ...body, warnings };
}
