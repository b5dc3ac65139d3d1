import { z } from "@hono/zod-openapi";
import { Name } from "../model/common";
import { ErrorResponse } from "../model/error";

export const ServiceParams = z.object({ name: Name.openapi({ param: { name: "name", in: "path" } }) });
export const OriginParams = ServiceParams.extend({ id: Name.openapi({ param: { name: "id", in: "path" } }) });

/** JSON request body content for createRoute. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}

/** A JSON response for createRoute. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** The error responses every admin route may give. */
export const errorResponses = {
  400: jsonResponse(ErrorResponse, "Invalid request (ERR_VALIDATION)"),
  401: jsonResponse(ErrorResponse, "Missing, invalid or expired token (ERR_UNAUTHENTICATED)"),
  403: jsonResponse(ErrorResponse, "Token lacks the scope (ERR_FORBIDDEN)"),
  404: jsonResponse(ErrorResponse, "No such service or origin (ERR_NOT_FOUND)"),
} as const;
