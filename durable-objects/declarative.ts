import type { ApplyOutcome, ApplyRequest } from "../src/declarative/outcome";
import { type RegistryConfig, invert, planRegistry } from "../src/declarative/plan";
import { MeshError } from "../src/errors";
import type { Limits } from "../src/model/limits";
import type { Change, ConfigService } from "../src/model/mesh-config";
import type { IntentionInput } from "../src/model/intention";
import type { OriginInput } from "../src/model/origin";
import { REDACTED, keepRedacted } from "../src/model/redact";
import type { ServiceInput } from "../src/model/service";
import { commitOrigin } from "./health-ops";
import { originWriteBreach, serviceWriteBreach } from "./limits-check";
import { registeredRow } from "./origin-writes";
import { removeIntention, writeIntention } from "./policy-ops";
import type { PolicyStore } from "./policy-store";
import type { RegionalChecks } from "./regional";
import type { RevisionStore } from "./revision-store";
import { configOf, healthOf, toOrigin } from "./rows";
import { writeService } from "./service-write";
import type { RegistryStore } from "./store";

/** What the declarative engine works on: the registry's stores and limits. */
export interface DeclarativeParts {
  store: RegistryStore;
  policy: PolicyStore;
  regional: RegionalChecks;
  revisions: RevisionStore;
  limits: Limits;
}

/** Thrown inside the transaction to roll it back. */
class Refused extends Error {
  constructor(
    readonly code: MeshError["code"],
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

const ORIGIN_FIELDS = ["url", "weight", "zone", "tags", "metadata", "enabled", "drain", "ttl_s"] as const;

/** The registry's services (with origins) and intentions, as a declarative document holds them. */
export function currentConfig(p: Pick<DeclarativeParts, "store" | "policy">): RegistryConfig {
  const services: Record<string, ConfigService> = {};
  for (const row of p.store.serviceRows()) {
    const origins: Record<string, OriginInput> = {};
    for (const o of p.store.originRows(row.name).map(toOrigin))
      origins[o.id] = Object.fromEntries(ORIGIN_FIELDS.map((k) => [k, o[k]])) as OriginInput;
    services[row.name] = { ...configOf(row), origins };
  }
  return { services, intentions: p.policy.intentions() };
}

/** `desired` with each `[redacted]` health-check header value replaced by the stored one (what export showed). */
function unredact(desired: RegistryConfig, current: RegistryConfig): RegistryConfig {
  const services = { ...desired.services };
  for (const [name, svc] of Object.entries(services)) {
    const hc = svc.health_check;
    if (hc === null || !Object.values(hc.headers).includes(REDACTED)) continue;
    const stored = current.services[name]?.health_check?.headers;
    const headers = keepRedacted(hc.headers, stored, `services.${name}.health_check.headers`);
    services[name] = { ...svc, health_check: { ...hc, headers } };
  }
  return { ...desired, services };
}

/** Applies one change inside the transaction. */
function applyOne(p: DeclarativeParts, c: Change, now: number): void {
  const [kind, a = "", sub, b = ""] = c.path.split("/");
  if (kind === "services" && sub === undefined) {
    if (c.op === "delete") {
      p.store.deleteService(a);
      p.store.bump();
      return;
    }
    const { origins: _, ...config } = c.after as ServiceInput & { origins?: unknown };
    const breach = serviceWriteBreach(p.store, p.limits, a, config);
    if (breach) throw new Refused("ERR_LIMIT_EXCEEDED", breach.message, c.path);
    writeService(p.store, p.regional, a, config, now);
  } else if (kind === "services") {
    if (!p.store.serviceRow(a)) throw new Refused("ERR_NOT_FOUND", `service '${a}' does not exist`, c.path);
    if (c.op === "delete") {
      if (p.store.deleteOrigin(a, b)) p.store.bump();
      return;
    }
    const input = c.after as OriginInput;
    const breach = originWriteBreach(p.store, p.limits, a, b, input);
    if (breach) throw new Refused("ERR_LIMIT_EXCEEDED", breach.message, c.path);
    const { row, reason } = registeredRow(a, b, input, p.store.originRow(a, b), now);
    commitOrigin(p.store, row, healthOf(row), reason, now);
    p.store.bump();
  } else if (kind === "intentions") {
    // intentions/<source>/<destination>: the second part is the destination, not a sub-resource.
    const destination = sub ?? "";
    if (c.op === "delete") removeIntention(p.store, p.policy, a, destination, now);
    else if (!writeIntention(p.store, p.policy, a, destination, c.after as IntentionInput, now))
      throw new Refused("ERR_LIMIT_EXCEEDED", "the registry holds the most intentions it may", c.path);
  }
  // log_sinks/… live in the LogBuffer: the caller applies them after this commits.
}

/** Applies `changes` in one transaction with their revision; a refusal rolls all of them back. */
function commit(p: DeclarativeParts, changes: Change[], by: string, now: number): ApplyOutcome {
  try {
    const revision = p.store.transaction(() => {
      for (const c of changes) applyOne(p, c, now);
      return changes.length > 0 ? p.revisions.record(now, by, changes) : null;
    });
    return { ok: true, plan: { version: p.store.version(), applied: true, revision, changes } };
  } catch (e) {
    if (e instanceof Refused)
      return { ok: false, code: e.code, message: e.message, ...(e.path ? { path: e.path } : {}) };
    throw e;
  }
}

const dry = (p: DeclarativeParts, changes: Change[]): ApplyOutcome => ({
  ok: true,
  plan: { version: p.store.version(), applied: false, revision: null, changes },
});

/**
 * Plans `desired` against the registry and, unless a dry run, applies the
 * plan in one transaction recorded as a revision (SPEC §10).
 * @example applyConfig(parts, { desired, prune: false, dryRun: true, by: "ops", extra: [] }, Date.now())
 */
export function applyConfig(p: DeclarativeParts, req: ApplyRequest, now: number): ApplyOutcome {
  const version = p.store.version();
  if (req.ifVersion !== undefined && req.ifVersion !== version)
    return { ok: false, code: "ERR_CONFLICT", message: `the registry is at version ${version}, not ${req.ifVersion}` };
  const current = currentConfig(p);
  let desired: RegistryConfig;
  try {
    desired = unredact(req.desired, current);
  } catch (e) {
    if (e instanceof MeshError) return { ok: false, code: e.code, message: e.message, path: e.details[0]?.path };
    throw e;
  }
  const changes = [...planRegistry(desired, current, req.prune), ...req.extra];
  return req.dryRun ? dry(p, changes) : commit(p, changes, req.by, now);
}

/**
 * Undoes every revision after `revision`, newest first, as one new revision.
 * @example rollbackTo(parts, 3, false, "ops", Date.now()) // the plan that undid revisions 4, 5, …
 */
export function rollbackTo(
  p: DeclarativeParts,
  revision: number,
  dryRun: boolean,
  by: string,
  now: number,
): ApplyOutcome {
  const undone = p.revisions.after(revision);
  if (undone === null) return { ok: false, code: "ERR_NOT_FOUND", message: `revision ${revision} is no longer kept` };
  const changes = undone.flatMap((r) => invert(r.changes));
  return dryRun ? dry(p, changes) : commit(p, changes, by, now);
}
