import { MeshError } from "../errors";
import { type AddressClass, classifyIPv4, classifyIPv6, parseIPv4, parseIPv6 } from "./ip";
import { type BindingVerdict, SERVICE_PROTOCOL, checkServiceUrl } from "./service-url";

/**
 * Special-use names that never resolve to a public address: RFC 6761
 * `localhost`, mDNS `.local`, ICANN's private-use `.internal`, RFC 8375
 * `.home.arpa`, and the `localhost.localdomain` habit of Linux hosts.
 */
const PRIVATE_SUFFIXES = ["localhost", "local", "internal", "home.arpa", "localdomain"];

const DESCRIBE: Record<AddressClass, string> = {
  public: "an IP address",
  unspecified: "an unspecified address",
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  shared: "a carrier-grade NAT (shared) address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
};

/** What to register instead of an address the edge cannot reach. */
const INSTEAD = "use a DNS name, a Cloudflare Tunnel hostname or a service binding (service://BINDING) instead";

/** Options of {@link checkOriginUrl}. */
export interface OriginUrlOptions {
  /** MESH_ALLOW_PRIVATE_ORIGINS: let IP literals and special-use names through (local development). */
  allowPrivate: boolean;
  /** The request field named in error details; default "url". */
  field?: string;
  /**
   * What the Worker's environment holds under a binding name, for
   * `service://BINDING` URLs; without it only http(s) URLs are accepted (log sinks).
   */
  binding?: (name: string) => BindingVerdict;
}

/**
 * The SSRF and edge guard for origin (and sink) URLs: parses `raw` with the
 * WHATWG URL parser, which normalises `127.1`, `2130706433`, `0x7f.0.0.1`,
 * `0177.0.0.1` and `[::ffff:127.0.0.1]`, then classifies the normalised host.
 * Throws ERR_VALIDATION (400) for anything but an absolute http(s) base URL
 * (or, with `binding`, a `service://BINDING/base` URL) without credentials,
 * query or fragment, and ERR_ORIGIN_NOT_ALLOWED (422) unless `allowPrivate`
 * for every IP literal — public ones too: Cloudflare answers a Worker's
 * fetch of an IP address with error 1003 — and special-use names.
 *
 * Limitation: a public DNS name that resolves to a private address cannot be
 * caught here — Workers have no DNS API at registration time. Cloudflare's
 * egress does not route to RFC 1918 space, so in production such a name
 * fails to connect rather than reaching an internal network.
 * @example checkOriginUrl("https://203.0.113.7:8443", { allowPrivate: false }) // throws ERR_ORIGIN_NOT_ALLOWED
 */
export function checkOriginUrl(raw: string, opts: OriginUrlOptions): URL {
  const field = opts.field ?? "url";
  const invalid = (why: string) => new MeshError("ERR_VALIDATION", `${field} ${why}`, [{ path: field, message: why }]);
  const example = opts.binding ? "https://api.example.com or service://USERS/api" : "https://logs.example.com";

  // The URL parser silently drops tabs/newlines and trims spaces; refuse them so what is stored is what was sent.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u0020\u007f]/.test(raw)) throw invalid("must not contain whitespace or control characters");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`must be an absolute URL such as ${example}`);
  }
  if (url.protocol === SERVICE_PROTOCOL && opts.binding) return checkServiceUrl(url, field, opts.binding);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalid(
      `must use http or https${opts.binding ? " (or service:// for a service binding)" : ""}, not ${url.protocol.slice(0, -1)}`,
    );
  if (url.username !== "" || url.password !== "") throw invalid("must not contain credentials (user:password@)");
  // `href` keeps an empty "?" or "#", which `search`/`hash` report as "".
  if (url.href.includes("?")) throw invalid("must be a base URL without a query");
  if (url.href.includes("#")) throw invalid("must be a base URL without a fragment");
  if (url.port === "0") throw invalid("must not use port 0");

  const kind = classifyHost(url.hostname);
  if (kind === "malformed") throw invalid("has a malformed host");
  if (kind === "name" || opts.allowPrivate) return url;
  const why =
    kind === "special-name"
      ? `host ${url.hostname} is a special-use name that is not publicly routable, so Cloudflare's edge cannot reach it`
      : `host ${url.hostname} is ${DESCRIBE[kind]}, and Cloudflare Workers cannot fetch IP addresses (error 1003)`;
  throw new MeshError(
    "ERR_ORIGIN_NOT_ALLOWED",
    `${field} ${why}; ${INSTEAD}; only MESH_ALLOW_PRIVATE_ORIGINS=true (local development) allows it`,
    [{ path: field, message: `${why}; ${INSTEAD}` }],
  );
}

/**
 * Why a stored origin URL may not be used under the current policy, or null
 * when it may: the registration check again, for URLs accepted while
 * MESH_ALLOW_PRIVATE_ORIGINS was true. Service-binding URLs always may.
 * @example originUrlRefusal("http://127.0.0.1:9001", false) // "policy: host 127.0.0.1 is a loopback address, …"
 */
export function originUrlRefusal(raw: string, allowPrivate: boolean): string | null {
  if (allowPrivate || raw.startsWith(`${SERVICE_PROTOCOL}//`)) return null;
  let hostname: string;
  try {
    hostname = new URL(raw).hostname;
  } catch {
    return "policy: the stored URL no longer parses";
  }
  const kind = classifyHost(hostname);
  if (kind === "name") return null;
  const what = kind === "special-name" ? "a special-use name" : kind === "malformed" ? "malformed" : DESCRIBE[kind];
  return `policy: host ${hostname} is ${what}, refused while MESH_ALLOW_PRIVATE_ORIGINS is not true; ${INSTEAD}`;
}

/** What a host is: a DNS name, a special-use name, or an IP literal of some class. */
export type HostKind = AddressClass | "name" | "special-name" | "malformed";

/**
 * Classifies a hostname as the URL parser serialised it.
 * @example classifyHost("[::1]") // "loopback"
 */
export function classifyHost(hostname: string): HostKind {
  if (hostname.startsWith("[")) {
    const v6 = parseIPv6(hostname.slice(1, -1));
    return v6 ? classifyIPv6(v6) : "malformed";
  }
  let name = hostname.replace(/\.+$/, "");
  if (name === "" || name.startsWith(".") || name.includes("..")) return "malformed";
  if (name !== hostname) {
    // The parser only reads numeric IPv4 forms without trailing dots: `0x7f.1..` stays a "name" until reparsed.
    try {
      name = new URL(`http://${name}/`).hostname;
    } catch {
      return "malformed";
    }
  }
  const v4 = parseIPv4(name);
  if (v4) return classifyIPv4(v4);
  if (PRIVATE_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`))) return "special-name";
  return "name";
}
