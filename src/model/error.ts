import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors";

/** The body of every error the mesh answers itself (SPEC §Errors); `code` is one of the stable codes. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ example: "ERR_VALIDATION" }),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
      request_id: z.string(),
    }),
  })
  .openapi("Error");

export type ErrorResponse = z.infer<typeof ErrorResponse>;
