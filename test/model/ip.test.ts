import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyIPv4, classifyIPv6, isPublicAddress, parseIPv4, parseIPv6 } from "../../src/model/ip";

const hex = (bytes: number[]) =>
  Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(":");

describe("parseIPv4 / parseIPv6", () => {
  it("refuses non-canonical IPv4 text (the URL parser canonicalises first)", () => {
    for (const s of ["127.1", "0x7f.0.0.1", "0177.0.0.1", "256.0.0.1", "1.2.3.4.5", "1.2.3.", ""]) {
      expect(parseIPv4(s)).toBeNull();
    }
  });

  it("reads every IPv6 address the URL parser can serialise", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), (bytes) => {
        const serialised = new URL(`http://[${hex(bytes)}]/`).hostname.slice(1, -1);
        expect([...parseIPv6(serialised)!]).toEqual(bytes);
      }),
    );
  });

  it("refuses malformed IPv6 text", () => {
    for (const s of ["1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", ":::", "1:2:3:4:5:6:7"]) {
      expect(parseIPv6(s)).toBeNull();
    }
  });
});

describe("classification", () => {
  it("classifies an IPv4-mapped IPv6 address exactly like the IPv4 address", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (v4) => {
        const mapped = parseIPv6(`::ffff:${v4.join(".")}`)!;
        expect(classifyIPv6(mapped)).toBe(classifyIPv4(Uint8Array.from(v4)));
      }),
    );
  });

  it("knows the special ranges at their edges", () => {
    const v4 = (s: string) => classifyIPv4(parseIPv4(s)!);
    expect(v4("100.63.255.255")).toBe("public");
    expect(v4("100.64.0.0")).toBe("shared");
    expect(v4("100.127.255.255")).toBe("shared");
    expect(v4("172.16.0.0")).toBe("private");
    expect(v4("172.32.0.0")).toBe("public");
    expect(v4("198.18.0.1")).toBe("reserved");
    expect(v4("223.255.255.255")).toBe("public");
    expect(v4("239.255.255.255")).toBe("multicast");
    expect(isPublicAddress(parseIPv4("1.1.1.1")!)).toBe(true);
    expect(isPublicAddress(parseIPv6("2606:4700::1111")!)).toBe(true);
    expect(isPublicAddress(parseIPv6("fec0::1")!)).toBe(false);
    expect(isPublicAddress(parseIPv6("100::1")!)).toBe(false);
  });
});
