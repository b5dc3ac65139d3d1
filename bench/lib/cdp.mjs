// The V8 inspector of a workerd isolate on 127.0.0.1, over the Chrome DevTools Protocol.

/**
 * Connects to the first isolate workerd's inspector lists (the mesh's: its Durable Objects run in it too).
 * @example const cdp = await inspectIsolate(port); const { usedSize } = await cdp.send("Runtime.getHeapUsage")
 */
export async function inspectIsolate(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  return connect(targets[0].webSocketDebuggerUrl);
}

/** A minimal Chrome DevTools Protocol client over the WebSocket Node 22 has built in. */
export function connect(wsUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    let next = 1;
    const pending = new Map();
    ws.onmessage = (ev) => {
      const msg = JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString("utf8"));
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message}`));
      else p.resolve(msg.result);
    };
    ws.onerror = () => reject(new Error(`inspector connection to ${wsUrl} failed`));
    ws.onopen = () =>
      resolve({
        send: (method, params = {}) =>
          new Promise((res, rej) => {
            const id = next++;
            pending.set(id, { resolve: res, reject: rej });
            ws.send(JSON.stringify({ id, method, params }));
            setTimeout(() => {
              if (pending.delete(id)) rej(new Error(`${method}: no answer from the inspector`));
            }, 30_000);
          }),
        close: () => ws.close(),
      });
  });
}
