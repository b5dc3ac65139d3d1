import fc from "fast-check";

/** A header value fetch accepts: printable ASCII (the Headers class trims the ends). */
export const headerValue = fc.string({ unit: "grapheme-ascii", maxLength: 60 });

/** Header names a client could use against the mesh or an origin behind it, in varied case. */
const POOL = [
  "x-mesh-caller",
  "X-Mesh-Caller",
  "x-mesh-identity",
  "x-mesh-hops",
  "x-mesh-retry",
  "x-mesh-check-region",
  "x-mesh-origin",
  "x-mesh-error",
  "x-mesh-attempts",
  "x-mesh-dev-cf",
  "X-MESH-ANYTHING",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-client-cert",
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "x-original-url",
  "x-rewrite-url",
  "x-envoy-original-path",
  "x-envoy-internal",
  "cf-connecting-ip",
  "host",
  "cookie",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-connection",
  "x-request-id",
  "authorization",
  "accept",
  "via",
  "x-http-method-override",
];

/** Token characters (RFC 9110), for names outside the pool. */
const randomName = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,24}$/);

/** Values that mean something for some names; anything else gets {@link headerValue}. */
function valueFor(name: string, callers: fc.Arbitrary<string>): fc.Arbitrary<string> {
  switch (name.toLowerCase()) {
    case "x-mesh-caller":
    case "x-mesh-identity":
    case "authorization":
      return fc.oneof(
        callers,
        callers.map((t) => `Bearer ${t}`),
        headerValue,
      );
    case "x-mesh-hops":
      return fc.oneof(
        fc.constantFrom("0", "1", "4", "5", "6", "99", "-1", "abc", "4.9", " 7", "1e3", "0x5", ""),
        fc.integer({ min: -10, max: 20 }).map(String),
      );
    case "x-mesh-dev-cf":
      return fc.oneof(
        fc.constant(JSON.stringify({ tlsClientAuth: { certVerified: "SUCCESS", certSubjectDN: "CN=billing" } })),
        headerValue,
      );
    case "cookie":
      return fc.oneof(
        headerValue.map((v) => `__flaremesh=${v.replaceAll(";", "")}; theme=dark`),
        fc.constantFrom("__flaremesh", "__flaremesh=", "=;;=", "__flaremesh=a; __flaremesh=b"),
        headerValue,
      );
    case "host":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constant("fuzz.example.com") },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            "FUZZ.example.com",
            "fuzz.example.com:443",
            "fuzz.example.com.",
            "other.example.com",
            "127.0.0.1",
          ),
        },
        { weight: 1, arbitrary: headerValue },
      );
    case "cf-connecting-ip":
    case "x-forwarded-for":
    case "x-real-ip":
    case "true-client-ip":
      return fc.oneof(fc.ipV4(), fc.ipV6(), headerValue);
    case "connection":
      return fc.oneof(fc.constantFrom("close", "keep-alive", "upgrade", "x-tenant", "x-mesh-caller, te"), headerValue);
    case "upgrade":
      // A WebSocket handshake needs an origin that answers 101 (test/e2e/websocket.test.ts).
      return fc.oneof(fc.constantFrom("h2c", "foo/1", "TLS/1.0"), headerValue).filter((v) => !/websocket/i.test(v));
    case "x-request-id":
      return fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,40}$/), headerValue);
    default:
      return headerValue;
  }
}

/**
 * A client's header list (names may repeat, in any case): from the pool
 * above or random token names, each with a value fitting its name; most
 * carry one of `callers` in `x-mesh-caller`, and the rate-limit key header
 * `x-tenant` is mostly a fresh value (so most requests get past the limit)
 * or `t1` (so some do not).
 * @example fc.asyncProperty(headerSet(tokens), async (pairs) => …)
 */
export function headerSet(callers: fc.Arbitrary<string>): fc.Arbitrary<[string, string][]> {
  const pair = fc
    .oneof({ weight: 4, arbitrary: fc.constantFrom(...POOL) }, { weight: 1, arbitrary: randomName })
    .chain((name) => valueFor(name, callers).map((value): [string, string] => [name, value]));
  const none = fc.constant<[string, string][]>([]);
  const tenant = fc.oneof(
    { weight: 6, arbitrary: fc.uuid().map((v): [string, string][] => [["x-tenant", v]]) },
    { weight: 3, arbitrary: fc.constant<[string, string][]>([["x-tenant", "t1"]]) },
    { weight: 1, arbitrary: none },
  );
  const caller = fc.oneof(
    { weight: 3, arbitrary: callers.map((v): [string, string][] => [["x-mesh-caller", v]]) },
    { weight: 2, arbitrary: none },
  );
  return fc.tuple(fc.array(pair, { maxLength: 10 }), caller, tenant).map(([pairs, c, t]) => [...pairs, ...c, ...t]);
}

const SEGMENTS = ["api", "public", "admin", "_mesh", "%5Fmesh", "..", ".", "%2e%2e", "x", "a%2Fb", "%00", "ü", ""];

/** A path (maybe with a query) that mostly starts under the service's `/api` route. */
export const requestPath: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(["api"]) },
      { weight: 2, arbitrary: fc.constant(["api", "public"]) },
      { weight: 1, arbitrary: fc.constant(["api", "admin"]) },
      { weight: 1, arbitrary: fc.constant([]) },
    ),
    fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 12 })), { maxLength: 4 }),
    fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  )
  .map(([head, rest, query]) => `/${[...head, ...rest].join("/")}${query === undefined ? "" : `?${query}`}`);

/** Methods fetch can send (lower case ones are normalised; CONNECT, TRACE and TRACK are forbidden). */
export const requestMethod = fc.constantFrom(
  "GET",
  "GET",
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "get",
  "post",
  "patch",
);

/** `request.cf.tlsClientAuth` as Cloudflare's mTLS reports it, or none. */
export const clientCert = fc.option(
  fc.record({
    certVerified: fc.constantFrom("SUCCESS", "FAILED:self signed certificate", "NONE"),
    certSubjectDN: fc.oneof(fc.constantFrom("CN=billing,O=Example Corp", "CN=mallory", ""), headerValue),
  }),
  { nil: undefined },
);
