import type { Labels } from "./counters";

/** One sample line. */
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** A metric family: HELP and TYPE once, then its samples. */
export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
  samples: Sample[];
}

/** The content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const SUFFIX_ORDER: Record<string, number> = { _bucket: 0, _sum: 1, _count: 2 };

/**
 * Renders families in the Prometheus text exposition format 0.0.4: HELP and
 * TYPE once per family, samples grouped by label set, histogram buckets in
 * ascending `le` followed by `_sum` and `_count`.
 * @example renderPrometheus([{ name: "up", type: "gauge", help: "Up.", samples: [{ name: "up", labels: {}, value: 1 }] }])
 */
export function renderPrometheus(families: readonly Family[]): string {
  const out: string[] = [];
  for (const family of families) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    const sorted = family.samples
      .map((s) => ({
        s,
        group: labelText(withoutLe(s.labels)),
        suffix: SUFFIX_ORDER[s.name.slice(family.name.length)] ?? 0,
        le: leOf(s.labels),
      }))
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.suffix - b.suffix || a.le - b.le));
    for (const { s } of sorted) out.push(`${s.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return `${out.join("\n")}\n`;
}

/** `{a="1",b="2"}`, or "" without labels. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function withoutLe(labels: Labels): Labels {
  const { le: _le, ...rest } = labels;
  return rest;
}

function leOf(labels: Labels): number {
  return labels.le === undefined ? 0 : labels.le === "+Inf" ? Infinity : Number(labels.le);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  // Float sums accumulate noise such as 0.30000000000000004.
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}
