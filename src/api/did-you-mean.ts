import type { z } from "@hono/zod-openapi";
import { IntentionInput } from "../model/intention";
import { CertIdentityInput } from "../model/identity";
import { LogSinkInput } from "../model/log-sink";
import { OriginInput, OriginPatch } from "../model/origin";
import { ServiceInput } from "../model/service";
import { ServiceTokenInput } from "../model/service-token";

/** The request bodies whose fields an unknown field may be a misspelling of. */
const BODIES: readonly z.ZodType[] = [
  ServiceInput,
  OriginInput,
  OriginPatch,
  LogSinkInput,
  IntentionInput,
  CertIdentityInput,
  ServiceTokenInput,
];

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  schema?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema at `path` below `schema` (through optional, default, arrays, records), or null. */
function at(schema: z.ZodType, path: readonly string[]): z.ZodType | null {
  let current: z.ZodType | undefined = schema;
  let i = 0;
  for (let guard = 0; current !== undefined && guard < 64; guard++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe") current = def.in;
    else if (i === path.length) return current;
    else if (def.type === "object") current = def.shape?.[path[i++]!];
    else if (def.type === "array") {
      current = def.element;
      i++;
    } else if (def.type === "record") {
      current = def.valueType;
      i++;
    } else return null;
  }
  return null;
}

/** Field names an object at `path` of any request body has. */
function fieldsAt(path: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const body of BODIES) {
    const found = at(body, path);
    const shape = found ? defOf(found).shape : undefined;
    if (shape) for (const key of Object.keys(shape)) names.add(key);
  }
  return names;
}

/** Levenshtein distance, stopping early once it passes `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known field nearest to an unknown one at `path` (at most two edits,
 * or one for short names), or null.
 * @example didYouMean("wieght", []) // "weight"
 */
export function didYouMean(unknown: string, path: readonly string[]): string | null {
  const max = unknown.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = max + 1;
  for (const name of fieldsAt(path)) {
    const d = distance(unknown.toLowerCase(), name.toLowerCase(), max);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}
