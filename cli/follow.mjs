// @ts-check
// `events --follow` and `logs --follow`: print what is new, oldest first, until interrupted.
import { get } from "./client.mjs";

/**
 * Polls `path` (newest-first `key` list) every `interval` ms and hands each entry not seen before to `print`.
 * @param {"/events" | "/logs"} path
 * @param {Record<string, string | number>} query
 * @param {string} key
 * @param {(entry: any) => void} print
 * @param {{ interval: number; follow: boolean }} opts
 */
export async function follow(path, query, key, print, opts) {
  const seen = new Set();
  const id = (/** @type {any} */ e) => JSON.stringify(e);
  for (let first = true; ; first = false) {
    const list = (await get(path, { query }))[key];
    const fresh = list.filter((/** @type {any} */ e) => !seen.has(id(e))).reverse();
    for (const e of fresh) {
      seen.add(id(e));
      print(e);
    }
    if (!opts.follow) return;
    // On stderr, so that stdout stays only entries; scripts (and tests) know from it that what follows is new.
    if (first) process.stderr.write("following: new entries are printed as they happen (ctrl-c to stop)\n");
    await new Promise((r) => setTimeout(r, opts.interval));
  }
}
