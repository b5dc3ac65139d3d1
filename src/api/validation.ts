import type { z } from "@hono/zod-openapi";
import { MeshError, type ErrorDetail } from "../errors";
import { didYouMean } from "./did-you-mean";

type Issue = z.core.$ZodIssue;

/** One detail per problem, naming the field by its dotted path (`retries.attempts`, `routes.0.host`). */
export function issueDetails(issues: readonly Issue[]): ErrorDetail[] {
  return issues.flatMap((issue): ErrorDetail[] => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const near = didYouMean(key, issue.path.map(String));
        const message = near === null ? "unknown field" : `unknown field '${key}' (did you mean '${near}'?)`;
        return { path: base ? `${base}.${key}` : key, message };
      });
    }
    return [{ path: base || "(body)", message: issue.message }];
  });
}

/**
 * The ERR_VALIDATION error for a failed zod parse; the message names the
 * first field and why, the details list all of them.
 * @example throw validationError(result.error)
 */
export function validationError(error: z.ZodError): MeshError {
  const details = issueDetails(error.issues);
  const first = details[0];
  const message = first ? `${first.path}: ${first.message}` : "invalid request";
  return new MeshError("ERR_VALIDATION", message, details);
}
