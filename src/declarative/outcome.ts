import type { MeshError } from "../errors";
import type { Change, Plan } from "../model/mesh-config";
import type { RegistryConfig } from "./plan";

/** What the API asks the registry to plan and apply. */
export interface ApplyRequest {
  desired: RegistryConfig;
  prune: boolean;
  dryRun: boolean;
  ifVersion?: number | undefined;
  /** The `sub` of the token, recorded with the revision. */
  by: string;
  /** Changes applied elsewhere (log sinks) after this commits, recorded in the same revision. */
  extra: Change[];
}

/** A plan, or why it was refused (a MeshError's fields: classes do not cross RPC). */
export type ApplyOutcome =
  | { ok: true; plan: Plan }
  | { ok: false; code: MeshError["code"]; message: string; path?: string };
