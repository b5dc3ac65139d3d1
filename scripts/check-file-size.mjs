#!/usr/bin/env node
// Part of `npm run lint`: no hand-written source file (src/, durable-objects/, cli/) may grow past
// 300 lines — past that a file is doing more than one thing and should be cut by concern. Generated
// files (cli/generated/, written by test/e2e/openapi-client.test.ts) are not hand-written.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const MAX_LINES = 300;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = /\.(ts|js|mjs|css|html)$/;

/** Every source file below `dir`. */
function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "generated") yield* sources(path);
    } else if (SOURCE.test(entry.name)) yield path;
  }
}

const tooLong = [];
for (const dir of ["src", "durable-objects", "cli"]) {
  for (const path of sources(join(ROOT, dir))) {
    const lines = readFileSync(path, "utf8").split("\n").length - 1;
    if (lines > MAX_LINES) tooLong.push(`${relative(ROOT, path)}: ${lines} lines`);
  }
}
if (tooLong.length > 0) {
  console.error(`Source files over ${MAX_LINES} lines (cut them by concern):\n  ${tooLong.join("\n  ")}`);
  process.exit(1);
}
