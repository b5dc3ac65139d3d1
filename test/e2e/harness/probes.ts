import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sha256 } from "./http";
import { startOrigin } from "./origin";

// Small servers and clients the edge layer's own tests measure it with.

/** An origin that counts request bytes as they arrive and answers their length, hash and framing. */
export async function countingOrigin(): Promise<{ port: number; received: number; stop: () => Promise<void> }> {
  const state = { port: 0, received: 0, stop: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      state.received += c.length;
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const chunked = req.headers["transfer-encoding"] === "chunked";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ length: body.length, sha256: sha256(body), chunked }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** Reads a server-sent-events body to its end: each event's data and when it arrived. */
export async function readSseEvents(
  body: AsyncIterable<Uint8Array> | ReadableStream | object,
): Promise<{ data: string; at: number }[]> {
  const events: { data: string; at: number }[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      events.push({ data: buffered.slice(0, end).replace(/^data: /, ""), at: Date.now() });
      buffered = buffered.slice(end + 2);
    }
  }
  return events;
}

/** A GET with node's http client: the status, raw headers (repeats kept) and the body bytes as they came. */
export function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, any>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on("error", reject)
      .end();
  });
}

/** An origin that answers every request with a 302 to `location`, counting them. */
export async function redirectOrigin(
  location: string,
): Promise<{ port: number; hits: number; stop: () => Promise<void> }> {
  const state = { port: 0, hits: 0, stop: async () => {} };
  const server = createServer((_req, res) => {
    state.hits++;
    res.writeHead(302, { location }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** A port of 127.0.0.1 that was just closed (nothing listens on it). */
export async function closedPort(): Promise<number> {
  const o = await startOrigin();
  const port = o.port;
  await o.stop();
  return port;
}
