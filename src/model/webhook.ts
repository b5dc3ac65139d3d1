import { z } from "@hono/zod-openapi";
import { HealthEvent } from "./catalog";
import { Name } from "./common";

export const WEBHOOK_EVENTS = ["health"] as const;

/** The body of `PUT /webhooks/{name}` (SPEC §10). */
export const WebhookInput = z
  .object({
    url: z.string().max(2048).openapi({
      description: "http(s) URL by DNS name; IP addresses and special-use names are refused as for origins (422)",
      example: "https://hooks.example.com/flaremesh",
    }),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).default(["health"]),
    secret: z.string().min(16).max(256).openapi({
      description: "HMAC-SHA256 key: each POST carries `x-flaremesh-signature: sha256=<hex of HMAC(secret, body)>`",
    }),
  })
  .strict()
  .openapi("WebhookInput");

/** A webhook's delivery state. */
export const WebhookStatus = z.object({
  /** Transitions recorded since the last one delivered, waiting for this webhook. */
  pending: z.number().int(),
  delivered: z.number().int(),
  consecutive_failures: z.number().int(),
  last_error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
  /** While backing off after failures: when the next attempt is due. */
  next_attempt_at: z.string().nullable(),
});

/** A webhook as `GET /webhooks` shows it: its secret never. */
export const Webhook = z
  .object({
    name: Name,
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    status: WebhookStatus,
  })
  .openapi("Webhook");

/** The body of each POST to a webhook: one health transition, as `GET /events` shows it, and its kind. */
export const WebhookPayload = z.object({ event: z.literal("health"), ...HealthEvent.shape }).openapi("WebhookPayload");

export type WebhookInput = z.infer<typeof WebhookInput>;
export type Webhook = z.infer<typeof Webhook>;
export type WebhookPayload = z.infer<typeof WebhookPayload>;
