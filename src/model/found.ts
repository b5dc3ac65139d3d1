/** What a registry call that can miss returns: the value, or which thing was missing. */
export type Found<T> = { ok: true; value: T } | { ok: false; missing: "service" | "origin" };
