// @ts-check
// A plan as a reader scans it: + create, ~ update with each changed field, - delete.
import { c } from "./output.mjs";

/**
 * Leaf values by dotted path (arrays as one JSON value, so a reordered list reads as one change).
 * @param {unknown} v
 * @param {string} [prefix]
 * @returns {Map<string, string>}
 */
function flatten(v, prefix = "") {
  const out = new Map();
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0 && prefix) out.set(prefix, "{}");
    for (const [k, x] of entries) for (const [p, s] of flatten(x, prefix ? `${prefix}.${k}` : k)) out.set(p, s);
  } else if (prefix) out.set(prefix, JSON.stringify(v));
  return out;
}

/** One line saying what a created resource is. */
function summary(/** @type {string} */ path, /** @type {any} */ after) {
  if (/\/origins\//.test(path)) return `${after.url}${after.weight !== 1 ? ` weight ${after.weight}` : ""}`;
  if (path.startsWith("services/"))
    return (after.routes ?? []).map((/** @type {any} */ r) => `${r.host ?? "*"}${r.path_prefix}`).join(", ");
  if (path.startsWith("intentions/")) return after.action;
  if (path.startsWith("log_sinks/")) return `${after.format} → ${after.url}`;
  return "";
}

/**
 * The plan as coloured text, one block per change, and a count line.
 * @param {{ op: string; path: string; before: unknown; after: unknown }[]} changes
 */
export function renderPlan(changes) {
  const lines = [];
  for (const ch of changes) {
    if (ch.op === "create") lines.push(`${c.green("+")} ${c.bold(ch.path)}  ${c.dim(summary(ch.path, ch.after))}`);
    else if (ch.op === "delete") lines.push(`${c.red("-")} ${c.bold(ch.path)}`);
    else {
      lines.push(`${c.yellow("~")} ${c.bold(ch.path)}`);
      const a = flatten(ch.before);
      const b = flatten(ch.after);
      for (const key of new Set([...a.keys(), ...b.keys()])) {
        if (a.get(key) === b.get(key)) continue;
        lines.push(`    ${key}: ${c.red(a.get(key) ?? "(none)")} → ${c.green(b.get(key) ?? "(none)")}`);
      }
    }
  }
  const n = (/** @type {string} */ op) => changes.filter((x) => x.op === op).length;
  lines.push(
    changes.length === 0
      ? c.green("No changes: the mesh matches the file.")
      : `Plan: ${c.green(`${n("create")} to create`)}, ${c.yellow(`${n("update")} to update`)}, ${c.red(`${n("delete")} to delete`)}.`,
  );
  return lines.join("\n");
}
