#!/usr/bin/env node
// @ts-check
// The flaremesh CLI (SPEC §10): exit 0 ok, 1 error (the mesh's code, message and fields printed), 2 usage.
import { Command, CommanderError, Option } from "commander";
import { actions } from "./commands.mjs";
import { apply, exportConfig, login, revisions, rollback, token } from "./config.mjs";
import { report } from "./output.mjs";
import { top } from "./top.mjs";

const program = new Command("flaremesh")
  .description("Operate a flaremesh: services, origins, health, declarative config")
  .option("--json", "machine-readable output")
  .showHelpAfterError()
  .exitOverride();

const json = () => !!program.opts().json;
/** Wraps an action so that any failure is reported and sets exit code 1. */
const run =
  (/** @type {(...a: any[]) => Promise<unknown>} */ fn) =>
  async (/** @type {any[]} */ ...args) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = report(err, json());
    }
  };
const act = (/** @type {string} */ name) =>
  run((/** @type {any[]} */ ...a) => actions[name](a.slice(0, -1), { json: json() }));

program
  .command("login")
  .description("store the mesh URL and a token in your profile (mode 0600)")
  .requiredOption("--url <url>", "the mesh, e.g. https://mesh.example.com")
  .requiredOption("--token <jwt>", "an admin token (flaremesh token, or your IdP's)")
  .action(run((opts) => login(opts, { json: json() })));
program
  .command("token")
  .description("mint a development admin token from MESH_ADMIN_SECRET in ./.dev.vars")
  .option("--scope <scopes>", "space-separated scopes", "mesh:read mesh:write")
  .option("--ttl <seconds>", "lifetime", "3600")
  .option("--sub <name>", "subject, recorded with revisions", process.env.USER || "dev")
  .action(run((opts) => token(opts)));
program.command("status").description("registry version and origins by status").action(act("status"));

const services = program.command("services").description("list, show or delete services");
services.command("ls").description("every service with its routes and healthy origins").action(act("servicesLs"));
services.command("get <name>").description("one service with its origins").action(act("servicesGet"));
services.command("rm <name>").description("delete a service and its origins").action(act("servicesRm"));

const origins = program.command("origins").description("a service's origins");
origins.command("ls <service>").action(act("originsLs"));
origins
  .command("add <service> <url>")
  .option("--id <id>", "a chosen id (else the mesh picks one)")
  .option("--weight <n>", "0-1000", "1")
  .option("--zone <zone>")
  .action(act("originsAdd"));
origins
  .command("drain <service> <id>")
  .description("no new requests; in-flight ones finish")
  .action(act("originsDrain"));
origins.command("undrain <service> <id>").action(act("originsUndrain"));
origins.command("weight <service> <id> <weight>").action(act("originsWeight"));
origins.command("rm <service> <id>").action(act("originsRm"));

program.command("health <service>").description("each origin's health (and per region)").action(act("health"));
program
  .command("events")
  .description("health transitions, oldest first")
  .option("--service <name>")
  .option("--limit <n>", "how many to show first", "20")
  .option("-f, --follow", "keep printing new ones")
  .action(run((opts) => actions.events([opts], { json: json() })));
program
  .command("logs")
  .description("recent request logs")
  .option("--limit <n>", "how many to show first", "20")
  .option("-f, --follow", "keep printing new ones")
  .action(run((opts) => actions.logs([opts], { json: json() })));
program
  .command("top")
  .description("live req/s, success rate, p50/p95/p99 and errors per service")
  .addOption(new Option("--interval <seconds>", "refresh interval").default("2"))
  .option("--once", "print one table over one interval and exit")
  .action(run((opts) => top({ interval: Number(opts.interval) * 1000, once: !!opts.once, json: json() })));

program
  .command("apply")
  .description("plan a YAML/JSON file against the mesh and apply it in one transaction")
  .requiredOption("-f, --file <file>", "the document (- for stdin)")
  .option("--dry-run", "show the plan, change nothing")
  .option("--prune", "delete what the file does not name")
  .option("--if-version <n>", "refuse unless the registry is still at this version")
  .action(run((opts) => apply(opts, { json: json() })));
program
  .command("export")
  .description("the mesh as a document (only what differs from the defaults)")
  .option("-o, --output <file>")
  .action(run((opts) => exportConfig(opts, { json: json() })));
program
  .command("rollback <revision>")
  .description("undo every revision after REVISION, as a new revision")
  .option("--dry-run", "show the plan, change nothing")
  .action(run((rev, opts) => rollback(rev, opts, { json: json() })));
program
  .command("revisions")
  .description("applied changes, newest first")
  .option("--limit <n>", "how many", "20")
  .action(run((opts) => revisions(opts, { json: json() })));

try {
  await program.parseAsync();
} catch (err) {
  // Help and --version exit 0; anything commander refused (unknown option, missing argument) is a usage error.
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else process.exitCode = report(err, json());
}
