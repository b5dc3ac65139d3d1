// @ts-check
// Declarative config and credentials: apply, export, rollback, revisions, login, token.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import YAML from "yaml";
import { CliError, call, get, target, writeProfile } from "./client.mjs";
import { renderPlan } from "./diff.mjs";
import { c, table } from "./output.mjs";

/** @typedef {{ json: boolean }} Global */

/** A YAML or JSON file (YAML is a superset of JSON), or stdin for "-". */
function readDocument(/** @type {string} */ file) {
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${/** @type {any} */ (err).code ?? err}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new CliError(`${file} is not valid YAML: ${doc.errors[0]?.message}`);
  return doc.toJS() ?? {};
}

const showPlan = (/** @type {any} */ plan, /** @type {Global} */ g, /** @type {string} */ done) => {
  if (g.json) return process.stdout.write(`${JSON.stringify(plan)}\n`);
  process.stdout.write(`${renderPlan(plan.changes)}\n`);
  if (plan.applied && plan.revision !== null)
    process.stdout.write(`${c.green(done)} revision ${plan.revision} (version ${plan.version}).\n`);
};

/** `apply -f FILE [--dry-run] [--prune] [--if-version N]` */
export async function apply(/** @type {any} */ opts, /** @type {Global} */ g) {
  const doc = readDocument(opts.file);
  if (opts.ifVersion !== undefined) doc.if_version = Number(opts.ifVersion);
  const query = { dry_run: String(!!opts.dryRun), prune: String(!!opts.prune) };
  const { json: plan } = await call("POST", "/apply", { query, body: doc });
  showPlan(plan, g, "Applied:");
}

/** `export [-o FILE]`: YAML that names its JSON Schema, so editors complete and check it. */
export async function exportConfig(/** @type {any} */ opts, /** @type {Global} */ g) {
  const { url } = target();
  const { json, headers } = await call("GET", "/export");
  const text = g.json
    ? `${JSON.stringify(json, null, 2)}\n`
    : `# yaml-language-server: $schema=${url}/_mesh/api/v1/schema/mesh-config.json\n# exported at registry version ${headers.get("x-mesh-index")}\n${YAML.stringify(json)}`;
  if (opts.output) writeFileSync(opts.output, text);
  else process.stdout.write(text);
}

/** `rollback REVISION [--dry-run]`: undoes every revision after REVISION. */
export async function rollback(/** @type {string} */ revision, /** @type {any} */ opts, /** @type {Global} */ g) {
  if (!/^\d+$/.test(revision)) throw new CliError(`REVISION must be a revision number, not "${revision}"`);
  const { json: plan } = await call("POST", "/revisions/{revision}/rollback", {
    path: { revision },
    query: { dry_run: String(!!opts.dryRun) },
  });
  showPlan(plan, g, "Rolled back:");
}

/** `revisions [--limit N]` */
export async function revisions(/** @type {any} */ opts, /** @type {Global} */ g) {
  const { revisions: list } = await get("/revisions", { query: { limit: Number(opts.limit ?? 20) } });
  if (g.json) return process.stdout.write(`${JSON.stringify({ revisions: list })}\n`);
  const rows = list.map((/** @type {any} */ r) => [
    r.revision,
    r.at,
    r.by,
    r.changes.length,
    r.changes
      .slice(0, 3)
      .map((/** @type {any} */ ch) => `${ch.op} ${ch.path}`)
      .join(", "),
  ]);
  process.stdout.write(`${table(["REVISION", "AT", "BY", "CHANGES", "FIRST"], rows)}\n`);
}

/** `login --url URL --token TOKEN`: checks the pair against the mesh, then writes the profile (mode 0600). */
export async function login(/** @type {any} */ opts, /** @type {Global} */ g) {
  const url = String(opts.url).replace(/\/+$/, "");
  await call("GET", "/catalog", {}, { url, token: opts.token });
  const path = writeProfile({ url, token: opts.token });
  if (g.json) process.stdout.write(`${JSON.stringify({ profile: path, url })}\n`);
  else process.stdout.write(`Logged in to ${url}; profile written to ${path} (readable only by you).\n`);
}

/** KEY=VALUE lines of .dev.vars; # comments ignored, surrounding quotes removed. */
function devVars(/** @type {string} */ dir) {
  /** @type {Record<string, string>} */
  const vars = {};
  let text = "";
  try {
    text = readFileSync(join(dir, ".dev.vars"), "utf8");
  } catch {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith("#")) vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

/** `token [--scope S] [--ttl SECONDS] [--sub NAME]`: a dev admin token signed with MESH_ADMIN_SECRET of ./.dev.vars. */
export async function token(/** @type {any} */ opts) {
  const vars = devVars(process.cwd());
  const pick = (/** @type {string} */ n) => process.env[n]?.trim() || vars[n]?.trim() || undefined;
  const secret = pick("MESH_ADMIN_SECRET");
  if (!secret)
    throw new CliError(
      "no MESH_ADMIN_SECRET in ./.dev.vars or the environment (run `npm start` once to create .dev.vars)",
    );
  const ttl = Number(opts.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new CliError(`--ttl must be a positive number of seconds, not "${opts.ttl}"`);
  const jwt = new SignJWT({ scope: opts.scope })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
  const iss = pick("MESH_ADMIN_ISSUER");
  const aud = pick("MESH_ADMIN_AUDIENCE");
  if (iss) jwt.setIssuer(iss);
  if (aud) jwt.setAudience(aud);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
}
