import { z } from "@hono/zod-openapi";

/** Service names and origin ids: `^[a-z0-9][a-z0-9-]{0,62}$`. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A service name or origin id. */
export const Name = z
  .string()
  .regex(NAME_PATTERN, "must match ^[a-z0-9][a-z0-9-]{0,62}$ (lower-case letters, digits, '-', at most 63 characters)");

/** An integer within [min, max]. */
export const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Short free-form strings (tags, zones, header values). */
export const ShortString = z.string().min(1).max(256);
