/**
 * An epoch-ms time as the API shows times: ISO 8601 in UTC; null stays null.
 * @example iso(0) // "1970-01-01T00:00:00.000Z"
 */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
