/** An ejection an isolate's passive outlier detection decided, reported to the registry. */
export interface EjectionReport {
  service: string;
  origin: string;
  ejected_until: number;
  reason: string;
}
