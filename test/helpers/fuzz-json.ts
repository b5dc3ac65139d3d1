import fc from "fast-check";

/** Keys that pollute or shadow prototypes when code copies objects carelessly. */
export const POLLUTING_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

/** An object with `key` as an own, enumerable property (plain assignment of `__proto__` would set the prototype). */
function withOwn(key: string, value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> {
  const out = { ...base };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** `depth` nested arrays or objects around a leaf. */
function nested(depth: number, kind: "array" | "object"): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === "array" ? [v] : { a: v };
  return v;
}

const hugeString = fc
  .constantFrom(1_000, 20_000, 70_000)
  .chain((n) => fc.constantFrom("x", "é", "\u{1F600}", "\u0000").map((c) => c.repeat(n)));

/** Strings a validator may trip on: unicode of every plane, control characters, lookalikes, path tricks. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\r\n",
    "../../etc/passwd",
    "%2e%2e%2f",
    "/_mesh/api/v1",
    "*",
    "external",
    "__proto__",
    "https://127.0.0.1",
    "https://[::1]/",
    "https://u:p@a.example.com",
    "service://REGISTRY",
    "service://ECHO_WORKER/../x",
    "javascript:alert(1)",
    "\u202e\u0041",
    "A".repeat(2049),
    "1e309",
    "NaN",
  ),
);

/** Any JSON value, with what a careless parser or validator could break on. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      -1,
      1.5,
      1e308,
      -1e308,
      2 ** 53 + 1,
      Number.MAX_SAFE_INTEGER,
      [],
      {},
      [null],
      [1, "a", {}],
    ),
  },
  { weight: 1, arbitrary: hugeString },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 10, max: 2_000 }), fc.constantFrom("array" as const, "object" as const))
      .map(([d, k]) => nested(d, k)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...POLLUTING_KEYS), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]) => withOwn(k, { polluted: v })),
  },
);

/** Every path (list of keys) to a value inside `value`, the root included. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Edit = { op: "set"; value: unknown } | { op: "delete" } | { op: "add"; key: string; value: unknown };

/** `body` with one edit at `path` (a copy; the original is untouched). */
export function edited(body: unknown, path: (string | number)[], edit: Edit): unknown {
  if (path.length === 0) {
    if (edit.op === "set") return edit.value;
    if (edit.op === "add" && body !== null && typeof body === "object" && !Array.isArray(body))
      return withOwn(edit.key, edit.value, body as Record<string, unknown>);
    return edit.op === "delete" ? undefined : body;
  }
  const [head, ...rest] = path;
  if (Array.isArray(body)) {
    const copy = [...body];
    const inner = edited(copy[head as number], rest, edit);
    if (inner === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = inner;
    return copy;
  }
  const obj = body as Record<string, unknown>;
  const inner = edited(obj[head as string], rest, edit);
  if (inner === undefined && rest.length === 0) {
    const { [head as string]: _gone, ...others } = obj;
    return others;
  }
  return withOwn(head as string, inner, obj);
}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: hostileValue.map((value) => ({ op: "set" as const, value })) },
  { weight: 1, arbitrary: fc.constant({ op: "delete" as const }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ maxLength: 12 })), hostileValue)
      .map(([key, value]) => ({ op: "add" as const, key, value })),
  },
);

/** A body as sent: JSON text (maybe broken) and its content type. */
export interface RawBody {
  raw: string;
  contentType: string;
}

const json = (raw: string): RawBody => ({ raw, contentType: "application/json" });

/** Text-level damage to a JSON document: truncation, a duplicated key, a polluting key, padding. */
function damaged(valid: unknown): fc.Arbitrary<RawBody> {
  const text = JSON.stringify(valid);
  const inner = text.startsWith("{") && text.length > 2 ? text.slice(1) : null;
  const options: fc.Arbitrary<RawBody>[] = [
    fc.nat({ max: text.length - 1 }).map((n) => json(text.slice(0, n))),
    fc
      .constantFrom("text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin1")
      .map((contentType) => ({ raw: text, contentType })),
  ];
  if (inner) {
    options.push(
      fc
        .tuple(fc.constantFrom(...POLLUTING_KEYS), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, v]) => json(`{"${k}":${JSON.stringify({ polluted: v })},${inner}`)),
      fc.constantFrom(...Object.keys(valid as object)).map((k) => json(`{${inner.slice(0, -1)},"${k}":{"x":1}}`)),
      fc.constantFrom(10, 5_000, 20_000).map((n) => json(`{"deep":${"[".repeat(n)}${"]".repeat(n)},${inner}`)),
    );
  }
  return fc.oneof(...options);
}

/**
 * Bodies near `valid`: one field replaced by a hostile value, removed, or a
 * key added; text-level damage; or the valid body itself.
 * @example fc.asyncProperty(nearValid(SERVICE), async (body) => …)
 */
export function nearValid(valid: unknown): fc.Arbitrary<RawBody> {
  const paths = pathsOf(valid);
  const oneEdit = fc
    .tuple(fc.constantFrom(...paths), editArb)
    .map(([path, edit]) => edited(valid, path, edit))
    .map((body) => json(body === undefined ? "" : JSON.stringify(body)));
  return fc.oneof(
    { weight: 6, arbitrary: oneEdit },
    { weight: 2, arbitrary: damaged(valid) },
    { weight: 1, arbitrary: fc.constant(json(JSON.stringify(valid))) },
  );
}

/** Any JSON document at all, or text that is not JSON. */
export const anyBody: fc.Arbitrary<RawBody> = fc.oneof(
  hostileValue.map((v) => json(JSON.stringify(v) ?? "")),
  fc.string({ unit: "binary", maxLength: 200 }).map(json),
);
