import type { CertIdentity } from "./identity";
import type { Intention } from "./intention";
import type { Origin } from "./origin";
import type { ServiceConfig } from "./service";

/** An origin as the data plane sees it. */
export interface SnapshotOrigin extends Origin {
  service: string;
  /** Epoch ms since when the origin has been routable after being new or unhealthy (slow start); null if never. */
  healthy_since_ms: number | null;
  /** Epoch ms until which the origin is ejected by passive outlier detection; null if not ejected. */
  ejected_until_ms: number | null;
}

/** The registry's versioned view for the data plane: `version` grows with every routing-relevant change. */
export interface Snapshot {
  version: number;
  services: ServiceConfig[];
  origins: SnapshotOrigin[];
  /** Who may call whom (SPEC §9); absent from registries older than intentions. */
  intentions?: Intention[];
  /** Which verified client certificate is which service (SPEC §9). */
  identities?: CertIdentity[];
}
