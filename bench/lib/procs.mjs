// Child processes of a bench run: started in their own process group, tracked,
// and always stopped (by the ids we started, never by name), plus the /proc
// readings the report needs (CPU seconds, peak RSS).
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";

const TICKS_PER_S = 100; // USER_HZ on Linux

/** Process groups still running; killed on exit whatever happens. */
const live = new Set();
let hooked = false;

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.once("exit", () => {
    for (const pgid of live) killGroup(pgid, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      for (const pgid of live) killGroup(pgid, "SIGKILL");
      process.exit(130);
    });
  }
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Starts `command` in a new process group; stdout/stderr are kept (last 64 KiB).
 * @example const p = startProcess("nginx", ["-c", conf], { name: "nginx" }); await p.stop();
 */
export function startProcess(command, args, { name = command, cwd, env, ipc = false } = {}) {
  hookExit();
  const child = spawn(command, args, {
    cwd,
    env: env ?? process.env,
    detached: true,
    stdio: ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk) => {
    output = (output + chunk.toString("utf8")).slice(-65536);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (err) => {
      output += `\n${err.message}`;
      resolve({ code: -1, signal: null });
    });
  });
  if (child.pid !== undefined) live.add(child.pid);
  let stopping;
  const proc = {
    name,
    child,
    pid: child.pid,
    exited,
    output: () => output,
    running: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, then SIGKILL to the whole group after `graceMs`. Idempotent. */
    stop: (graceMs = 3000) =>
      (stopping ??= (async () => {
        if (child.pid === undefined) return;
        if (proc.running()) {
          killGroup(child.pid, "SIGTERM");
          await Promise.race([exited, sleep(graceMs)]);
        }
        killGroup(child.pid, "SIGKILL");
        await Promise.race([exited, sleep(1000)]);
        live.delete(child.pid);
      })()),
    /** SIGKILL to the whole group at once (a crash). */
    kill: async () => {
      if (child.pid === undefined) return;
      killGroup(child.pid, "SIGKILL");
      await Promise.race([exited, sleep(2000)]);
      live.delete(child.pid);
    },
  };
  return proc;
}

/** Resolves after `ms`. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TCP port of 127.0.0.1 that was free a moment ago.
 * @example const port = await freePort();
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers `status` (default 200); throws after `timeoutMs`
 * or as soon as `proc` exits.
 */
export async function waitForHttp(url, { timeoutMs = 20_000, status = 200, proc, headers } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc && !proc.running()) throw new Error(`${proc.name} exited while starting:\n${proc.output()}`);
    try {
      const res = await httpGet(url, { headers, timeoutMs: 2000 });
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(
    `${url} did not answer ${status} within ${timeoutMs} ms (${last})${proc ? `\n${proc.output()}` : ""}`,
  );
}

/**
 * One GET with node:http (unlike fetch, it sends the `host` header it is given,
 * which the mesh routes on); resolves with status, headers and body text.
 * @example const { status, headers } = await httpGet(url, { headers: { host: "rr.bench" } });
 */
export function httpGet(url, { headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The pid and every descendant of it (nginx's workers, say), from /proc. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** User + system CPU seconds used so far by `pids` (processes that are gone count 0). */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) ticks += s.utime + s.stime;
  }
  return ticks / TICKS_PER_S;
}

/** Sum of the peak resident set (VmHWM; `field` "VmRSS" for the current one) of `pids`, in MiB. */
export function peakRssMiB(pids, field = "VmHWM") {
  const pattern = new RegExp(`${field}:\\s+(\\d+) kB`);
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = pattern.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kib += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kib / 1024;
}

/** The 1-minute load average and the number of cores, for the report. */
export function machineLoad() {
  const [one, five] = readFileSync("/proc/loadavg", "utf8").split(" ").map(Number);
  let cores = 0;
  for (const line of readFileSync("/proc/cpuinfo", "utf8").split("\n")) if (line.startsWith("processor")) cores++;
  return { load1: one, load5: five, cores };
}
