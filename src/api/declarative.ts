import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
import { exportDocument } from "../declarative/compact";
import type { ApplyOutcome } from "../declarative/outcome";
import { redactChange } from "../declarative/redact";
import { ErrorResponse } from "../model/error";
import { ApplyBody, MeshConfig, Plan, Revision } from "../model/mesh-config";
import { redactHeaders } from "../model/redact";
import { applySinkChanges, checkedDocument, planSinks, refusal, storedSinks } from "./apply-checks";
import { MAX_APPLY_BYTES, guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const Flag = z
  .enum(["true", "false"])
  .default("false")
  .transform((v) => v === "true");

const conflict = {
  409: jsonResponse(ErrorResponse, "Stale if_version (ERR_CONFLICT), or a limit would be passed (ERR_LIMIT_EXCEEDED)"),
};

const apply = createRoute({
  method: "post",
  path: "/apply",
  operationId: "applyConfig",
  middleware: guard("write", "json", MAX_APPLY_BYTES),
  summary: "Plan a declarative document against the mesh and, unless dry_run, apply it in one transaction",
  description:
    "Without `prune`, nothing the document does not name is deleted. The plan lists each change with the " +
    "resource before and after; an applied plan becomes a revision (`GET /revisions`).",
  request: { query: z.object({ dry_run: Flag, prune: Flag }).strict(), body: jsonBody(ApplyBody) },
  responses: { 200: jsonResponse(Plan, "The plan (applied unless dry_run)"), ...errorResponses, ...conflict },
});

const exportRoute = createRoute({
  method: "get",
  path: "/export",
  operationId: "exportConfig",
  middleware: guard("read"),
  summary: "The whole mesh as a declarative document: only what differs from the defaults",
  responses: { 200: jsonResponse(MeshConfig, "The document (X-Mesh-Index: the registry version)"), ...errorResponses },
});

const revisions = createRoute({
  method: "get",
  path: "/revisions",
  operationId: "listRevisions",
  middleware: guard("read"),
  summary: "Applied changes, newest first",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict() },
  responses: { 200: jsonResponse(z.object({ revisions: z.array(Revision) }), "The revisions"), ...errorResponses },
});

const rollback = createRoute({
  method: "post",
  path: "/revisions/{revision}/rollback",
  operationId: "rollback",
  middleware: guard("write"),
  summary: "Undo every revision after this one (newest first), as a new revision",
  request: {
    params: z.object({
      revision: z.coerce
        .number()
        .int()
        .min(0)
        .openapi({ param: { name: "revision", in: "path" } }),
    }),
    query: z.object({ dry_run: Flag }).strict(),
  },
  responses: { 200: jsonResponse(Plan, "The plan (applied unless dry_run)"), ...errorResponses },
});

const shown = (plan: Plan): Plan => ({ ...plan, changes: plan.changes.map(redactChange) });

/** `/apply`, `/export`, `/revisions` (SPEC §10). */
export function declarativeApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(apply, async (c) => {
    const { dry_run, prune } = c.req.valid("query");
    const { if_version, ...body } = c.req.valid("json");
    const doc = checkedDocument(body, c.env);
    const extra = await planSinks(c.env, doc.log_sinks, prune);
    const by = c.get("principal").subject ?? "unknown";
    const req = { desired: doc, prune, dryRun: dry_run, ifVersion: if_version, by, extra };
    // Plans carry `unknown` resource values, which the RPC stub's types cannot map: the shape is the registry's.
    const out = (await registry(c.env).applyConfig(req)) as unknown as ApplyOutcome;
    if (!out.ok) throw refusal(out);
    if (out.plan.applied) await applySinkChanges(c.env, out.plan.changes);
    return c.json(shown(out.plan), 200);
  });

  api.openapi(exportRoute, async (c) => {
    const [{ version, config }, sinks] = await Promise.all([registry(c.env).exportConfig(), storedSinks(c.env)]);
    const log_sinks = Object.fromEntries(
      Object.entries(sinks).map(([name, s]) => [name, { ...s, headers: redactHeaders(s.headers) }]),
    );
    const services = Object.fromEntries(
      Object.entries(config.services).map(([name, s]) => [
        name,
        s.health_check
          ? { ...s, health_check: { ...s.health_check, headers: redactHeaders(s.health_check.headers) } }
          : s,
      ]),
    );
    c.header("X-Mesh-Index", String(version));
    return c.json(exportDocument({ ...config, services, log_sinks }) as MeshConfig, 200);
  });

  api.openapi(revisions, async (c) => {
    const list = (await registry(c.env).revisions(c.req.valid("query").limit)) as unknown as Revision[];
    return c.json({ revisions: list.map((r) => ({ ...r, changes: r.changes.map(redactChange) })) }, 200);
  });

  api.openapi(rollback, async (c) => {
    const { revision } = c.req.valid("param");
    const by = c.get("principal").subject ?? "unknown";
    const out = (await registry(c.env).rollback(revision, c.req.valid("query").dry_run, by)) as unknown as ApplyOutcome;
    if (!out.ok) throw refusal(out);
    if (out.plan.applied) await applySinkChanges(c.env, out.plan.changes);
    return c.json(shown(out.plan), 200);
  });
}
