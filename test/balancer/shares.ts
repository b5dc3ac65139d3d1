import { expect } from "vitest";

/** Asserts each id got its weight's share of all picks, give or take `tolerance`. */
export function expectShares(picked: readonly string[], weights: Record<string, number>, tolerance = 0.02): void {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(
    Object.keys(weights).map((id) => [id, picked.filter((p) => p === id).length / picked.length]),
  );
  for (const [id, weight] of Object.entries(weights)) {
    const off = Math.abs(shares[id]! - weight / total);
    expect(off, `share of ${id} in ${JSON.stringify(shares)}`).toBeLessThan(tolerance);
  }
}
