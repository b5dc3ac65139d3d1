import { DurableObject } from "cloudflare:workers";
import { type MeshEnv, allowPrivateOrigins } from "../src/config";
import { originUrlRefusal } from "../src/model/origin-url";
import type { RegistryConfig } from "../src/declarative/plan";
import { type Catalog, MAX_CATALOG_WAIT_MS } from "../src/model/catalog";
import { limitsOf } from "../src/model/limits";
import type { Revision } from "../src/model/mesh-config";
import type { Webhook, WebhookInput } from "../src/model/webhook";
import { WEBHOOK_BUDGET } from "../src/observability/webhooks";
import type { ApplyOutcome, ApplyRequest } from "../src/declarative/outcome";
import { type DeclarativeParts, applyConfig, currentConfig, rollbackTo } from "./declarative";
import { rearmAlarm } from "./ejections";
import type { PolicyStore } from "./policy-store";
import type { RegionalChecks } from "./regional";
import { catalogView } from "./registry-views";
import { changesBetween, resourceStates } from "./resource-states";
import { RevisionStore } from "./revision-store";
import type { RegistryStore } from "./store";
import type { VersionWatch } from "./version-watch";
import { deliverWebhooks } from "./webhook-delivery";
import { WebhookStore, toWebhook } from "./webhook-store";

/**
 * The Registry's operator calls (SPEC §10): declarative apply and export,
 * revisions and rollback, blocking catalog queries, webhooks. A base class so that
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

  /** The resources at `paths` as a declarative document holds them (see resource-states.ts). */
  resourceStates(paths: string[]): Record<string, unknown> {
    return resourceStates(this.store, this.policy, paths);
  }

  /**
   * Records what a write outside `/apply` changed (`before` and `after` of
   * the resources it touched) as a revision, so that rollback can undo it.
   */
  recordWrite(by: string, before: Record<string, unknown>, after: Record<string, unknown>): number | null {
    const changes = changesBetween(before, after);
    return changes.length === 0 ? null : new RevisionStore(this.ctx.storage.sql).record(Date.now(), by, changes);
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

  /** Creates or replaces a webhook (it is sent the transitions recorded from now on). */
  putWebhook(name: string, input: WebhookInput): { created: boolean; webhook: Webhook } {
    const hooks = new WebhookStore(this.ctx.storage.sql);
    const created = hooks.put(name, input, Date.now());
    const row = hooks.row(name)!;
    return { created, webhook: toWebhook(row, hooks.pending(row.cursor)) };
  }

  /** Every webhook with its delivery state. */
  listWebhooks(): Webhook[] {
    const hooks = new WebhookStore(this.ctx.storage.sql);
    return hooks.rows().map((row) => toWebhook(row, hooks.pending(row.cursor)));
  }

  deleteWebhook(name: string): boolean {
    return new WebhookStore(this.ctx.storage.sql).delete(name);
  }

  /**
   * From the alarm, after the checks (which get the whole MESH_SUBREQUEST_BUDGET): each webhook's pending
   * transitions, at most WEBHOOK_BUDGET POSTs per run; the alarm is re-armed for what is left or backing off.
   */
  protected async sendWebhooks(): Promise<void> {
    await deliverWebhooks(
      new WebhookStore(this.ctx.storage.sql),
      (url, init) => {
        // The origin policy where the URL is used, as for origins and sinks: a webhook registered while
        // MESH_ALLOW_PRIVATE_ORIGINS was true is not sent to once it is off (its delivery state says why).
        const refusal = originUrlRefusal(url, allowPrivateOrigins(this.env as MeshEnv));
        return refusal === null ? fetch(url, init) : Promise.reject(new Error(refusal));
      },
      Date.now,
      WEBHOOK_BUDGET,
    );
  }

  private async rearmAfter(outcome: ApplyOutcome): Promise<ApplyOutcome> {
    if (outcome.ok && outcome.plan.applied)
      await Promise.all([rearmAlarm(this.ctx.storage, this.store), this.regional.armAll()]);
    return outcome;
  }
}
