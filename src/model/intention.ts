import { z } from "@hono/zod-openapi";
import { NAME_PATTERN, ShortString } from "./common";

/** Anyone: a source or destination that matches every service (and, as a source, `external`). */
export const WILDCARD = "*";

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const;

/** An intention's source: a service, `external` (no proven identity) or `*`. */
export const IntentionSource = z
  .string()
  .refine((s) => s === WILDCARD || NAME_PATTERN.test(s), "must be a service name, 'external' or '*'");

/** An intention's destination: a service or `*`. */
export const IntentionDestination = z
  .string()
  .refine((s) => s === WILDCARD || NAME_PATTERN.test(s), "must be a service name or '*'");

export const ACTIONS = ["allow", "deny"] as const;

/** An L7 rule inside an intention: the first whose path prefix and methods match decides. */
export const Permission = z
  .object({
    action: z.enum(ACTIONS),
    path_prefix: z
      .string()
      .max(1024)
      .regex(/^\/[^?#\s]*$/, "must start with '/' and hold no query, fragment or spaces")
      .optional(),
    methods: z.array(z.enum(HTTP_METHODS)).min(1).max(HTTP_METHODS.length).optional(),
  })
  .strict()
  .openapi("Permission");

/** The body of `PUT /intentions/{source}/{destination}`. */
export const IntentionInput = z
  .object({
    action: z.enum(ACTIONS),
    permissions: z.array(Permission).max(64).default([]),
    description: z.union([z.literal(""), ShortString]).default(""),
  })
  .strict()
  .openapi("IntentionInput");

export const Intention = IntentionInput.extend({
  source: z.string(),
  destination: z.string(),
}).openapi("Intention");

/** `GET /intentions/check` answers what would happen. */
export const IntentionCheck = z
  .object({
    allowed: z.boolean(),
    matched: z.string().nullable().openapi({ description: "`<source> → <destination>` of the deciding intention" }),
  })
  .openapi("IntentionCheck");

export type Permission = z.infer<typeof Permission>;
export type IntentionInput = z.infer<typeof IntentionInput>;
export type Intention = z.infer<typeof Intention>;
export type IntentionCheck = z.infer<typeof IntentionCheck>;
