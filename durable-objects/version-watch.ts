/**
 * Wakes callers that wait for the registry's version to move (blocking
 * snapshot reads, like a Consul blocking query). In memory only: after an
 * eviction there are no waiters, because their calls failed with it.
 * @example const moved = await watch.next(20_000) // true when notify() ran first
 */
export class VersionWatch {
  readonly #waiters = new Set<() => void>();

  /** Resolves true on the next `notify()`, or false after `ms`. */
  next(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        resolve(false);
      }, ms);
      this.#waiters.add(wake);
    });
  }

  /** Wakes every waiter; each re-reads the version, so a rolled-back bump only costs a re-read. */
  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
