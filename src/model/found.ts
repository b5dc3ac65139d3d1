import type { LimitBreach } from "./limits";

/**
 * What a registry call that can miss returns: the value, which thing was
 * missing, or the limit the write would have passed.
 */
export type Found<T> =
  | { ok: true; value: T }
  | { ok: false; missing: "service" | "origin" }
  | { ok: false; missing?: undefined; refused: LimitBreach };
