import { describe, expect, it } from "vitest";
import { greatCircleKm } from "../../src/steering/distance";

const PARIS = { latitude: 48.8566, longitude: 2.3522 };
const FRANKFURT = { latitude: 50.1109, longitude: 8.6821 };
const LONDON = { latitude: 51.5074, longitude: -0.1278 };
const NEW_YORK = { latitude: 40.7128, longitude: -74.006 };
const LOS_ANGELES = { latitude: 34.0522, longitude: -118.2437 };
const SYDNEY = { latitude: -33.8688, longitude: 151.2093 };

describe("great-circle distance", () => {
  it("measures city pairs as atlases give them, within a few kilometres", () => {
    expect(Math.abs(greatCircleKm(PARIS, FRANKFURT) - 479)).toBeLessThan(2);
    expect(Math.abs(greatCircleKm(NEW_YORK, LONDON) - 5570)).toBeLessThan(10);
    expect(Math.abs(greatCircleKm(LOS_ANGELES, NEW_YORK) - 3936)).toBeLessThan(10);
    expect(Math.abs(greatCircleKm(SYDNEY, LONDON) - 16994)).toBeLessThan(20);
  });

  it("is symmetric, zero for one point, and half the circumference for antipodes", () => {
    expect(greatCircleKm(PARIS, FRANKFURT)).toBeCloseTo(greatCircleKm(FRANKFURT, PARIS), 9);
    expect(greatCircleKm(PARIS, PARIS)).toBe(0);
    expect(greatCircleKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(20015.1, 0);
    expect(greatCircleKm({ latitude: 90, longitude: 0 }, { latitude: -90, longitude: 0 })).toBeCloseTo(20015.1, 0);
  });

  it("crosses the antimeridian the short way", () => {
    const fiji = { latitude: -17.7, longitude: 178 };
    const samoa = { latitude: -13.8, longitude: -172 };
    expect(greatCircleKm(fiji, samoa)).toBeLessThan(1200);
  });
});
