import { DurableObject } from "cloudflare:workers";
import type { RegistryConfig } from "../src/declarative/plan";
import { type Catalog, MAX_CATALOG_WAIT_MS } from "../src/model/catalog";
import { limitsOf } from "../src/model/limits";
import type { Revision } from "../src/model/mesh-config";
import type { ApplyOutcome, ApplyRequest } from "../src/declarative/outcome";
import { type DeclarativeParts, applyConfig, currentConfig, rollbackTo } from "./declarative";
import { rearmAlarm } from "./ejections";
import type { PolicyStore } from "./policy-store";
import type { RegionalChecks } from "./regional";
import { catalogView } from "./registry-views";
import { RevisionStore } from "./revision-store";
import type { RegistryStore } from "./store";
import type { VersionWatch } from "./version-watch";

/**
 * The Registry's operator calls (SPEC §10): declarative apply and export,
 * revisions and rollback, blocking catalog queries. A base class so that
 * these RPC methods live beside their rules, not in registry.ts.
 */
export abstract class OperatedRegistry extends DurableObject<Env> {
  protected abstract readonly store: RegistryStore;
  protected abstract readonly policy: PolicyStore;
  protected abstract readonly regional: RegionalChecks;
  protected abstract readonly watch: VersionWatch;

  private parts(): DeclarativeParts {
    const { store, policy, regional } = this;
    return { store, policy, regional, revisions: new RevisionStore(this.ctx.storage.sql), limits: limitsOf(this.env) };
  }

  /** Plans a declarative document against the registry and, unless a dry run, applies it in one transaction. */
  async applyConfig(req: ApplyRequest): Promise<ApplyOutcome> {
    return this.rearmAfter(applyConfig(this.parts(), req, Date.now()));
  }

  /** Undoes every revision after `revision` as a new revision (or plans it). */
  async rollback(revision: number, dryRun: boolean, by: string): Promise<ApplyOutcome> {
    return this.rearmAfter(rollbackTo(this.parts(), revision, dryRun, by, Date.now()));
  }

  /** The services (with origins) and intentions as a declarative document holds them, defaults filled in. */
  exportConfig(): { version: number; config: RegistryConfig } {
    return { version: this.store.version(), config: currentConfig({ store: this.store, policy: this.policy }) };
  }

  /** The newest `limit` revisions, newest first. */
  revisions(limit: number): Revision[] {
    return new RevisionStore(this.ctx.storage.sql).latest(limit);
  }

  /** The catalog once the version exceeds `index`, or as it is after `waitMs` (a Consul blocking query). */
  async catalogAfter(index: number, waitMs: number): Promise<Catalog> {
    const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_CATALOG_WAIT_MS);
    while (this.store.version() <= index) {
      const left = until - Date.now();
      if (left <= 0 || !(await this.watch.next(left))) break;
    }
    return catalogView(this.store);
  }

  private async rearmAfter(outcome: ApplyOutcome): Promise<ApplyOutcome> {
    if (outcome.ok && outcome.plan.applied)
      await Promise.all([rearmAlarm(this.ctx.storage, this.store), this.regional.armAll()]);
    return outcome;
  }
}
