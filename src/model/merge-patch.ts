/**
 * RFC 7396 JSON merge patch: objects merge key by key, `null` removes a
 * key (for a service: the field goes back to its default when the result
 * is validated), anything else — arrays included — replaces.
 * @example mergePatch({ retries: { attempts: 2, per_try_timeout_ms: 5000 } }, { retries: { attempts: 0 } })
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // Own data properties only, so `__proto__` is a key like any other and never reaches a prototype.
    if (value === null) delete out[key];
    else
      Object.defineProperty(out, key, {
        value: mergePatch(out[key], value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
