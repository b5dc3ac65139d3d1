/** A point on the globe in degrees, as `request.cf` and a pool's `latitude`/`longitude` give it. */
export interface LatLon {
  readonly latitude: number;
  readonly longitude: number;
}

/** The Earth's mean radius (IUGG), in kilometres: a sphere is within 0.5% of the ellipsoid, plenty to rank pools. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/**
 * Great-circle distance between two points in kilometres, by the haversine
 * formula (well-conditioned for short distances, unlike the spherical law of cosines).
 * @example greatCircleKm({ latitude: 48.8566, longitude: 2.3522 }, { latitude: 50.1109, longitude: 8.6821 }) // ≈ 479 (Paris → Frankfurt)
 */
export function greatCircleKm(a: LatLon, b: LatLon): number {
  const dLat = (b.latitude - a.latitude) * RAD;
  const dLon = (b.longitude - a.longitude) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RAD) * Math.cos(b.latitude * RAD) * Math.sin(dLon / 2) ** 2;
  // Rounding can push h a hair past 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}
