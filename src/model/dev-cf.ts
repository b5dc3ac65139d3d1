import { z } from "@hono/zod-openapi";
import { CONTINENTS } from "./steering";

/** A coordinate as a number, or as the decimal string `request.cf` itself gives. */
const coordinate = (limit: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?[0-9]{1,3}(\.[0-9]+)?$/, "must be a number")
        .transform(Number),
    ])
    .pipe(z.number().min(-limit).max(limit));

/**
 * `x-mesh-dev-cf` (SPEC §2, only with `MESH_DEV_REQUEST_CF="true"`): the
 * parts of `request.cf` steering and logs read, standing in for Cloudflare's
 * own. Unknown keys are refused so that a typo (`"lat"`) is not silently ignored.
 */
export const DevRequestCf = z
  .object({
    country: z
      .string()
      .regex(/^[A-Z][A-Z0-9]$/, "must be a two-letter country code in capitals, such as DE")
      .optional(),
    continent: z.enum(CONTINENTS).optional(),
    latitude: coordinate(90).optional(),
    longitude: coordinate(180).optional(),
    colo: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be a three-letter data-centre code, such as FRA")
      .optional(),
    /** Cloudflare's mTLS verdict on the client certificate (callers, SPEC §9). */
    tlsClientAuth: z
      .object({ certVerified: z.string().max(64), certSubjectDN: z.string().max(1024) })
      .strict()
      .optional(),
  })
  .strict();

export type DevRequestCf = z.infer<typeof DevRequestCf>;
