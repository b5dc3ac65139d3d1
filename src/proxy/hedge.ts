import type { Hedge } from "../model/hedge";
import { failed, type TryResult } from "./attempt";

/** One try in flight, abortable: what a hedged request races. */
export interface Flight {
  /** The endpoint id tried. */
  readonly id: string;
  /** Epoch ms it was sent. */
  readonly started: number;
  readonly controller: AbortController;
  /** Settles (never rejects) with the try's result; an aborted try comes to a `timeout`. */
  readonly result: Promise<TryResult>;
  /** `result` with its flight: made by {@link landing} when a race first waits for it, so a request that does not hedge never pays for it. */
  done?: Promise<Landed>;
}

/** What a race waits for of a flight: its result, with the flight. */
export function landing(flight: Flight): Promise<Landed> {
  return (flight.done ??= flight.result.then((result) => ({ flight, result })));
}

/** A try that came back. */
export interface Landed {
  readonly flight: Flight;
  readonly result: TryResult;
}

/** What a race came to: the answer to use, the failures that came before it, and the tries aborted. */
export interface RaceOutcome {
  landed: Landed;
  failures: Landed[];
  losers: Flight[];
}

/**
 * The service's hedging for this request, or null when it may not hedge:
 * GET and HEAD only, never a WebSocket upgrade (SPEC §11).
 * @example const hedge = hedgeOf(config.hedge, init.method, upgrade)
 */
export function hedgeOf(hedge: Hedge | null | undefined, method: string, upgrade: boolean): Hedge | null {
  if (hedge == null || upgrade || (method !== "GET" && method !== "HEAD")) return null;
  return hedge;
}

/**
 * Races `first` against up to `max` hedges, each launched (by `launch`, which
 * answers null when no origin or budget is left) after `delayMs` without an
 * answer: the first good answer wins, and the tries still in flight are
 * aborted. A failure waits for the tries still in flight; the last one to
 * land is the answer when none is good. A hedge is for the origin's
 * slowness, not the isolate's: when the delay's timer fires later than
 * twice the delay (the isolate was paused, by garbage collection or a
 * busy thread, and answers that came meanwhile have not been read yet),
 * the delay starts again once, from now, before that hedge is sent.
 * @example const { landed, failures, losers } = await race(flight, 50, 1, () => launchHedge(), Date.now)
 */
export async function race(
  first: Flight,
  delayMs: number,
  max: number,
  launch: () => Flight | null,
  clock: () => number,
): Promise<RaceOutcome> {
  const pending: Flight[] = [first];
  const failures: Landed[] = [];
  let hedges = 0;
  let nextAt = clock() + delayMs;
  let forgiven = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  for (;;) {
    const waits: Promise<Landed | null>[] = pending.map(landing);
    if (hedges < max) {
      const wait = Math.max(0, nextAt - clock());
      waits.push(new Promise<null>((resolve) => (timer = setTimeout(resolve, wait, null))));
    }
    const next = await Promise.race(waits);
    clearTimeout(timer);
    if (next === null) {
      const now = clock();
      if (!forgiven && now - nextAt > delayMs) {
        forgiven = true;
        nextAt = now + delayMs;
        continue;
      }
      const hedge = launch();
      if (hedge === null) hedges = max;
      else {
        pending.push(hedge);
        hedges++;
        nextAt = clock() + delayMs;
      }
      continue;
    }
    pending.splice(pending.indexOf(next.flight), 1);
    if (!failed(next.result) || pending.length === 0) {
      for (const loser of pending) loser.controller.abort();
      return { landed: next, failures, losers: pending };
    }
    failures.push(next);
  }
}
