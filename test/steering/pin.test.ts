import { describe, expect, it } from "vitest";
import { cookieValue, setAffinityCookie, withoutCookie } from "../../src/steering/cookies";
import { pinKey, signPin, verifyPin } from "../../src/steering/pin";

const NOW = 1_800_000_000_000;
const TTL = 82_800;

describe("affinity pins", () => {
  it("verifies its own pin, for its service, until it expires", async () => {
    const key = await pinKey("secret-0123456789-0123456789-abcdef");
    const pin = await signPin(key, "users", "users-1", NOW, TTL);
    expect(pin).toMatch(/^users-1\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyPin(key, "users", pin, NOW, TTL)).toBe("users-1");
    expect(await verifyPin(key, "users", pin, NOW + (TTL - 1) * 1000, TTL)).toBe("users-1");
    expect(await verifyPin(key, "users", pin, NOW + TTL * 1000, TTL)).toBeNull();
    expect(await verifyPin(key, "billing", pin, NOW, TTL)).toBeNull();
  });

  it("ignores forged, moved, malformed and over-long pins without throwing", async () => {
    const key = await pinKey("secret-0123456789-0123456789-abcdef");
    const pin = await signPin(key, "users", "users-1", NOW, TTL);
    const [, expiry, mac] = pin.split(".");
    const other = await signPin(await pinKey("another-secret-0123456789-012345"), "users", "users-1", NOW, TTL);
    const later = (Math.floor(NOW / 1000) + TTL + 3600).toString(36);
    const flipped = mac!.slice(0, -1) + (mac!.endsWith("A") ? "B" : "A");
    for (const bad of [
      other, // signed with another key
      `users-2.${expiry}.${mac}`, // moved to another origin
      `users-1.${later}.${mac}`, // expiry pushed back
      `users-1.${expiry}.${flipped}`,
      "",
      "users-1",
      "users-1..",
      `users-1.${expiry}.${mac}.x`,
      `Users-1.${expiry}.${mac}`,
      `users-1.${expiry}.${"A".repeat(43)}`,
      `users-1.zzzzzzzzzz.${mac}`,
      `${"a".repeat(200)}.${expiry}.${mac}`,
      "%%%.%%.%%",
    ]) {
      expect(await verifyPin(key, "users", bad, NOW, TTL), bad).toBeNull();
    }
  });

  it("refuses a pin living longer than the service's ttl now allows", async () => {
    const key = await pinKey("secret-0123456789-0123456789-abcdef");
    const pin = await signPin(key, "users", "users-1", NOW, TTL);
    expect(await verifyPin(key, "users", pin, NOW, 3600)).toBeNull();
  });

  it("derives one key per secret, also from an empty one", async () => {
    expect(pinKey("s-0123456789-0123456789-0123456789")).toBe(pinKey("s-0123456789-0123456789-0123456789"));
    const empty = await pinKey("");
    const pin = await signPin(empty, "users", "u1", NOW, TTL);
    expect(await verifyPin(empty, "users", pin, NOW, TTL)).toBe("u1");
    expect(await verifyPin(await pinKey("x"), "users", pin, NOW, TTL)).toBeNull();
  });
});

describe("affinity cookie", () => {
  it("sets a host-wide, HttpOnly, Secure, Lax cookie with the ttl as Max-Age", () => {
    expect(setAffinityCookie("v", 60)).toBe("__flaremesh=v; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=60");
  });

  it("reads and strips it from a Cookie header, keeping the others", () => {
    const header = "a=1; __flaremesh=pin; b=2;  __flaremesh=again";
    expect(cookieValue(header, "__flaremesh")).toBe("pin");
    expect(withoutCookie(header, "__flaremesh")).toBe("a=1; b=2");
    expect(withoutCookie("__flaremesh=pin", "__flaremesh")).toBeNull();
    expect(withoutCookie("x__flaremesh=1; flag", "__flaremesh")).toBe("x__flaremesh=1; flag");
  });
});
