// @ts-check
// Tables, colours and error printing; NO_COLOR (and a non-terminal stdout) turn colours off.
import pc from "picocolors";
import { CliError, MeshApiError } from "./client.mjs";

const useColor = !process.env.NO_COLOR && (process.stdout.isTTY || !!process.env.FORCE_COLOR);
export const c = pc.createColors(useColor);

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what this measures around
const width = (/** @type {string} */ s) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

/**
 * Rows under a header, columns padded to their widest cell.
 * @param {string[]} header
 * @param {(string | number | null)[][]} rows
 */
export function table(header, rows) {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? "-" : String(v))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => width(r[i] ?? ""))));
  const line = (/** @type {string[]} */ r) =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v + " ".repeat(widths[i] - width(v))))
      .join("  ")
      .trimEnd();
  return [c.bold(line(header)), ...cells.map(line)].join("\n");
}

/** A status coloured as a user reads it: green healthy, red unhealthy or ejected, yellow draining. */
export function status(/** @type {string} */ s) {
  if (s === "healthy") return c.green(s);
  if (s === "unhealthy" || s === "ejected") return c.red(s);
  if (s === "draining" || s === "disabled") return c.yellow(s);
  return c.dim(s);
}

/**
 * Prints what went wrong and returns the exit code: the mesh's error with its code, message and fields.
 * @param {unknown} err
 * @param {boolean} json
 */
export function report(err, json) {
  if (err instanceof MeshApiError) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } })}\n`,
      );
    process.stderr.write(`${c.red("error")} ${c.bold(err.code)}: ${err.message}\n`);
    for (const d of err.details) process.stderr.write(`  ${c.yellow("field")} ${d.path}: ${d.message}\n`);
    return 1;
  }
  if (err instanceof CliError) {
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: "ERR_CLI", message: err.message } })}\n`);
    process.stderr.write(`${c.red("error")}: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`${c.red("error")}: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 1;
}
