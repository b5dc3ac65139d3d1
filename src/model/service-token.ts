import { z } from "@hono/zod-openapi";
import { Name, int } from "./common";

/** Longest a service token may live: revoking one means rotating the signing keys, so keep them short. */
export const SERVICE_TOKEN_MAX_TTL_S = 30 * 86_400;

/** The body of `POST /service-tokens`. */
export const ServiceTokenInput = z
  .object({
    service: Name.openapi({ description: "The calling service the token names (its `sub`)", example: "billing" }),
    ttl_s: int(60, SERVICE_TOKEN_MAX_TTL_S)
      .default(86_400)
      .openapi({ description: `Lifetime in seconds, 60 to ${SERVICE_TOKEN_MAX_TTL_S} (30 days)` }),
  })
  .strict()
  .openapi("ServiceTokenInput");

/** The answer to `POST /service-tokens` (201). */
export const ServiceToken = z
  .object({
    token: z.string().openapi({ description: "Present it in `x-mesh-caller`" }),
    service: Name,
    expires_at: z.string(),
  })
  .openapi("ServiceToken");

export type ServiceTokenInput = z.infer<typeof ServiceTokenInput>;
export type ServiceToken = z.infer<typeof ServiceToken>;
