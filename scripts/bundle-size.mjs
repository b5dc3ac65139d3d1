#!/usr/bin/env node
// Bundles the Worker as `wrangler deploy` would (no upload) and prints its size against the
// plans' Worker size limits (compressed: 3 MB on Free, 10 MB on Paid). Fails above the Free limit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const FREE_LIMIT = 3 * 1024 * 1024;
const PAID_LIMIT = 10 * 1024 * 1024;
const out = mkdtempSync(join(tmpdir(), "flaremesh-bundle-"));
try {
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", FORCE_COLOR: "0" },
  });
  if (run.status !== 0) {
    process.stderr.write(`wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}\n`);
    process.exit(1);
  }
  const modules = readdirSync(out).filter((f) => !f.endsWith(".map") && f !== "README.md");
  const raw = modules.reduce((n, f) => n + statSync(join(out, f)).size, 0);
  const gzip = modules.reduce((n, f) => n + gzipSync(readFileSync(join(out, f)), { level: 9 }).length, 0);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const share = (limit) => `${((gzip / limit) * 100).toFixed(1)}%`;
  console.log(`Worker bundle: ${kib(raw)} raw, ${kib(gzip)} gzip (${modules.join(", ")})`);
  console.log(`  Free plan limit 3 MB compressed: ${share(FREE_LIMIT)} used; Paid 10 MB: ${share(PAID_LIMIT)} used`);
  if (gzip > FREE_LIMIT) {
    console.error("The bundle is over the Free plan's Worker size limit.");
    process.exit(1);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
