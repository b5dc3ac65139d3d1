import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";

const CHUNK = 64 * 1024;

/** Bytes [offset, offset + length) of the deterministic `/bytes` stream: no short period, so reordered chunks change the hash. */
export function deterministicBytes(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.imul(offset + i + 1, 2654435761) >>> 24;
  return out;
}

/** Hex SHA-256 of the first `n` bytes of the `/bytes` stream. */
export function bytesSha256(n: number): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < n; offset += CHUNK)
    hash.update(deterministicBytes(offset, Math.min(CHUNK, n - offset)));
  return hash.digest("hex");
}

/** Writes the first `n` bytes of the stream to `res` and ends it, respecting back-pressure. */
export function streamBytes(res: ServerResponse, n: number): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < n) {
      const chunk = deterministicBytes(offset, Math.min(CHUNK, n - offset));
      offset += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  res.on("close", () => res.off("drain", pump));
  pump();
}
