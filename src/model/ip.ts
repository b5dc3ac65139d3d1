/**
 * Pure IP address parsing and classification for the SSRF guard. The WHATWG
 * URL parser has already normalised every IPv4 spelling (`127.1`, `0x7f.1`,
 * `2130706433`) to a dotted quad and every IPv6 literal to its compressed
 * form, so these parsers accept only canonical text and fail closed.
 */

/** What an address is for; everything but "public" is refused as an origin. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "shared"
  | "multicast"
  | "broadcast"
  | "reserved";

/**
 * Four bytes from a dotted-quad IPv4 address, or null.
 * @example parseIPv4("10.0.0.7") // Uint8Array [10, 0, 0, 7]
 */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    bytes[i] = Number(p);
  }
  return bytes;
}

/**
 * Sixteen bytes from an IPv6 address without brackets (`::`, embedded
 * dotted quad and zero compression allowed; zone ids refused), or null.
 * @example parseIPv6("::ffff:7f00:1") // …, 0xff, 0xff, 127, 0, 0, 1
 */
export function parseIPv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * The special-purpose class of an IPv4 address (RFC 6890 registry), or "public".
 * @example classifyIPv4(parseIPv4("100.64.0.1")!) // "shared"
 */
export function classifyIPv4(b: Uint8Array): AddressClass {
  const [a, c] = [b[0]!, b[1]!];
  if (a === 0) return "unspecified";
  if (a === 10) return "private";
  if (a === 100 && (c & 0xc0) === 64) return "shared";
  if (a === 127) return "loopback";
  if (a === 169 && c === 254) return "link-local";
  if (a === 172 && (c & 0xf0) === 16) return "private";
  if (a === 192 && c === 0 && b[2] === 0) return "reserved"; // IETF protocol assignments
  if (a === 192 && c === 168) return "private";
  if (a === 198 && (c & 0xfe) === 18) return "reserved"; // benchmarking, used as private space in practice
  if (a >= 224 && a < 240) return "multicast";
  if (b.every((x) => x === 255)) return "broadcast";
  if (a >= 240) return "reserved";
  return "public";
}

/**
 * The class of an IPv6 address. Addresses that embed an IPv4 address
 * (mapped, compatible, NAT64, 6to4) take the class of the embedded one, so
 * `::ffff:127.0.0.1` is loopback. Only global unicast (2000::/3) is public.
 * @example classifyIPv6(parseIPv6("fe80::1")!) // "link-local"
 */
export function classifyIPv6(b: Uint8Array): AddressClass {
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const word = (i: number) => (b[2 * i]! << 8) | b[2 * i + 1]!;
  if (zeros(0, 16)) return "unspecified";
  if (zeros(0, 15) && b[15] === 1) return "loopback";
  if (zeros(0, 10) && word(5) === 0xffff) return classifyIPv4(b.subarray(12)); // ::ffff:0:0/96 mapped
  if (zeros(0, 12)) return classifyIPv4(b.subarray(12)); // ::/96 compatible (deprecated)
  if (word(0) === 0x64 && word(1) === 0xff9b && zeros(4, 12)) return classifyIPv4(b.subarray(12)); // NAT64 64:ff9b::/96
  if (word(0) === 0x64 && word(1) === 0xff9b && word(2) === 1) return "private"; // local-use NAT64 64:ff9b:1::/48
  if (word(0) === 0x2002) return classifyIPv4(b.subarray(2, 6)); // 6to4
  if (word(0) === 0x2001 && word(1) === 0) return "reserved"; // Teredo: client address is obfuscated
  if ((b[0]! & 0xfe) === 0xfc) return "private"; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local"; // fe80::/10
  if (b[0] === 0xff) return "multicast";
  if ((b[0]! & 0xe0) === 0x20) return "public"; // 2000::/3 global unicast
  return "reserved"; // includes site-local fec0::/10, discard 100::/64, IPv4-translated ::ffff:0:0:0/96
}

/**
 * True when an address (4 or 16 bytes) is routable on the public internet.
 * @example isPublicAddress(parseIPv4("93.184.216.34")!) // true
 */
export function isPublicAddress(bytes: Uint8Array): boolean {
  return (bytes.length === 4 ? classifyIPv4(bytes) : classifyIPv6(bytes)) === "public";
}
