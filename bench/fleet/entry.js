// Bench-only entry wrapped around the mesh bundle for the fleet simulation
// (bench/fleet.mjs): the real Registry and LogBuffer, with counters around
// them. The Registry subclass waits for the version to move exactly as the
// real blocking read does, then calls the real method with no wait, so the
// time that call takes (its synchronous build, all of it) is measured
// apart from the wait: that is the registry's CPU per answer. The RPC
// layer's own serialisation of the answer is not inside it; the run's
// process CPU (bench/fleet.mjs) covers that.
import * as mesh from "./index.js";
export * from "./index.js";
export default mesh.default;

const MAX_WAIT_MS = 25_000;
const stats = { waiting: 0, answers: 0, answerMs: 0, calls: {} };
const logStats = { calls: 0, ms: 0, lines: 0, byObject: {} };

function count(name) {
  stats.calls[name] = (stats.calls[name] ?? 0) + 1;
}

export class Registry extends mesh.Registry {
  snapshot(known = -1, waitMs = 0) {
    return this.#timed("snapshot", known, waitMs);
  }

  routingFeed(known = -1, waitMs = 0) {
    return this.#timed("routingFeed", known, waitMs);
  }

  reportEjections(reports) {
    count("reportEjections");
    return super.reportEjections(reports);
  }

  /** Counters since the last reset; `reset` zeroes them after reading. */
  benchStats(reset = false) {
    const out = JSON.parse(JSON.stringify(stats));
    if (reset) Object.assign(stats, { answers: 0, answerMs: 0, calls: {} });
    return out;
  }

  async #timed(method, known, waitMs) {
    count(method);
    const until = Date.now() + Math.min(Math.max(0, waitMs), MAX_WAIT_MS);
    stats.waiting++;
    try {
      while (this.version() === known) {
        const left = until - Date.now();
        if (left <= 0 || !(await this.watch.next(left))) return null;
      }
    } finally {
      stats.waiting--;
    }
    const t = performance.now();
    const answer = super[method](known, 0);
    stats.answerMs += performance.now() - t;
    stats.answers++;
    return answer;
  }
}

export class LogBuffer extends mesh.LogBuffer {
  append(lines, ...rest) {
    const t = performance.now();
    const out = super.append(lines, ...rest);
    logStats.ms += performance.now() - t;
    logStats.calls++;
    logStats.lines += lines.length;
    const id = this.ctx.id.toString();
    logStats.byObject[id] = (logStats.byObject[id] ?? 0) + 1;
    return out;
  }

  /** Append counters of every LogBuffer object since the last reset (they share this isolate). */
  benchStats(reset = false) {
    const out = JSON.parse(JSON.stringify(logStats));
    if (reset) Object.assign(logStats, { calls: 0, ms: 0, lines: 0, byObject: {} });
    return out;
  }
}
