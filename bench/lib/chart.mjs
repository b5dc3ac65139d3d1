// One SVG chart, drawn by hand: latency percentiles per contestant on a log
// scale, left the overhead scenario (fixed rate), right the slow-origin runs.

const COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];
const LEVELS = [
  ["p50", "p50"],
  ["p90", "p90"],
  ["p99", "p99"],
  ["p999", "p99.9"],
  ["max", "max"],
];

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function panel({ x0, y0, w, h, title, series }) {
  const values = series.flatMap((s) => LEVELS.map(([k]) => s.latency[k])).filter((v) => v > 0);
  if (values.length === 0) return "";
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const y = (v) => y0 + h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
  const x = (i) => x0 + (i / (LEVELS.length - 1)) * w;
  const out = [
    `<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(
      `<text x="${x0 - 6}" y="${y(d) + 4}" text-anchor="end" font-size="11">${d >= 1 ? d : d.toPrecision(1)} ms</text>`,
    );
  }
  LEVELS.forEach(([, label], i) => {
    out.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${y0}" y2="${y0 + h}" stroke="#eee"/>`);
    out.push(`<text x="${x(i)}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${label}</text>`);
  });
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = LEVELS.map(([k], i) => [x(i), y(s.latency[k])]).filter(([, py]) => Number.isFinite(py));
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => p.join(",")).join(" ")}"/>`,
    );
    for (const [px, py] of pts) out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    out.push(`<rect x="${x0 + 8}" y="${y0 + 6 + si * 16}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${x0 + 22}" y="${y0 + 15 + si * 16}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join("\n");
}

/** The SVG text for a run's results. */
export function latencyChart(results) {
  const s = results.scenarios;
  const panels = [];
  if (s.overhead) {
    panels.push({
      title: `Overhead: ${s.overhead.rate} req/s, 5 static origins`,
      series: s.overhead.rows.map((r) => ({ name: r.name, latency: r.fixed.latency_ms })),
    });
  }
  if (s.slowOrigin) {
    panels.push({
      title: `One origin 10× slower: ${s.slowOrigin.rate} req/s`,
      series: s.slowOrigin.rows.map((r) => ({ name: r.name, latency: r.slowed.latency_ms })),
    });
  }
  if (s.slowOrigin100x) {
    panels.push({
      title: `One origin 100× slower: ${s.slowOrigin100x.rate} req/s`,
      series: s.slowOrigin100x.rows.map((r) => ({ name: r.name, latency: r.slowed.latency_ms })),
    });
  }
  const w = 420;
  const h = 300;
  const width = 80 + panels.length * (w + 90);
  const height = h + 110;
  const body = panels.map((p, i) => panel({ x0: 80 + i * (w + 90), y0: 50, w, h, ...p })).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="12" y="${height - 12}" font-size="11" fill="#555">flaremesh bench ${esc(results.date)} (${esc(results.mode)}): latency from each request's due time, open loop, log scale. Load average at start ${results.machine.load_start.load1} on ${results.machine.cores} cores.</text>
${body}
</svg>
`;
}
