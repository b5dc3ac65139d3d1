import { positiveInt } from "../config";

/**
 * Caps on what the registry holds (each a Worker var): past them a write is
 * refused with 409 ERR_LIMIT_EXCEEDED naming the limit. They keep one
 * registry object, its snapshot (sent to every isolate) and the isolates'
 * memory within what the platform allows: a Durable Object RPC carries at
 * most 32 MiB, an isolate has 128 MB.
 */
export interface Limits {
  services: number;
  originsPerService: number;
  routesPerService: number;
  /** The routing snapshot's size, estimated from the stored rows. */
  snapshotBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  services: 1000,
  originsPerService: 10_000,
  routesPerService: 64,
  snapshotBytes: 8 * 1024 * 1024,
};

/** The vars each limit is read from, for messages and docs. */
export const LIMIT_VARS: Record<keyof Limits, string> = {
  services: "MESH_MAX_SERVICES",
  originsPerService: "MESH_MAX_ORIGINS_PER_SERVICE",
  routesPerService: "MESH_MAX_ROUTES_PER_SERVICE",
  snapshotBytes: "MESH_MAX_SNAPSHOT_BYTES",
};

/** The limits the environment sets, each var falling back to its default when unset or not a positive integer. */
export function limitsOf(env: object): Limits {
  const read = (key: keyof Limits) => {
    const raw = (env as Record<string, unknown>)[LIMIT_VARS[key]];
    return (typeof raw === "string" ? positiveInt(raw) : undefined) ?? DEFAULT_LIMITS[key];
  };
  return {
    services: read("services"),
    originsPerService: read("originsPerService"),
    routesPerService: read("routesPerService"),
    snapshotBytes: read("snapshotBytes"),
  };
}

/** What the registry would hold after a write; a field the write does not change may be left out. */
export interface Usage {
  services?: number;
  originsPerService?: number;
  routesPerService?: number;
  snapshotBytes?: number;
}

/** A write refused because it would pass a limit. */
export interface LimitBreach {
  limit: keyof Limits;
  message: string;
}

const WHAT: Record<keyof Limits, string> = {
  services: "services",
  originsPerService: "origins in one service",
  routesPerService: "routes in one service",
  snapshotBytes: "bytes of routing snapshot",
};

/**
 * The first limit `usage` passes, or null.
 * @example breach({ services: 1001 }, DEFAULT_LIMITS)?.message // "at most 1000 services (MESH_MAX_SERVICES) …"
 */
export function breach(usage: Usage, limits: Limits): LimitBreach | null {
  for (const key of Object.keys(LIMIT_VARS) as (keyof Limits)[]) {
    const used = usage[key];
    if (used === undefined || used <= limits[key]) continue;
    return {
      limit: key,
      message:
        `this write would make ${used} ${WHAT[key]}, over the limit of ${limits[key]} (${LIMIT_VARS[key]}): ` +
        `remove some first, or raise ${LIMIT_VARS[key]}`,
    };
  }
  return null;
}
