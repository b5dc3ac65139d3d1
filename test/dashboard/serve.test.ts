import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`https://mesh.test${path}`, { headers });

describe("the dashboard's files", () => {
  it("are embedded in the Worker: wrangler.toml binds no static assets, so no assets router answers any path", () => {
    // Static assets would put a router in front of every request, and without run_worker_first an asset would
    // answer its path on every host before the data plane saw it; the tests below call the Worker directly,
    // so only this reading of the config can tell.
    expect(inject("assetsConfig")).toEqual({
      binding: undefined,
      run_worker_first: undefined,
      html_handling: undefined,
      not_found_handling: undefined,
    });
  });

  it("serves the page at /_mesh/ui with a CSP that allows no inline script or style", async () => {
    const res = await get("/_mesh/ui");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp.split("; ")).toEqual(
      expect.arrayContaining(["script-src 'self'", "style-src 'self'", "default-src 'none'"]),
    );
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/_mesh/ui/dashboard.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/_mesh/ui/dashboard.css">');
    expect(html).toContain('<link rel="stylesheet" href="/_mesh/ui/tables.css">');
    // Nothing inline for the CSP to block.
    expect(html).not.toMatch(/<script>|<style|style=|\son[a-z]+=/);
  });

  it("serves the script, the shared quantile module and the style sheet below it", async () => {
    for (const [file, type] of [
      ["dashboard.js", /javascript/],
      ["dom.js", /javascript/],
      ["readings.js", /javascript/],
      ["render.js", /javascript/],
      ["quantile.js", /javascript/],
      ["dashboard.css", /^text\/css/],
      ["tables.css", /^text\/css/],
    ] as const) {
      const res = await get(`/_mesh/ui/${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
      expect(res.headers.get("content-type")).toMatch(type);
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      await res.body?.cancel();
    }
    expect(await (await get("/_mesh/ui/readings.js")).text()).toContain('from "./quantile.js"');
  });

  it("answers a conditional request with 304", async () => {
    const first = await get("/_mesh/ui/dashboard.js");
    await first.body?.cancel();
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await get("/_mesh/ui/dashboard.js", { "if-none-match": etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    // A list, a weak tag and `*` match too (RFC 9110 §13.1.2); another file's tag does not.
    for (const field of [`"0000", ${etag}`, `W/${etag}`, "*"]) {
      const res = await get("/_mesh/ui/dashboard.js", { "if-none-match": field });
      expect({ field, status: res.status }).toEqual({ field, status: 304 });
    }
    const css = await get("/_mesh/ui/dashboard.css", { "if-none-match": etag! });
    expect(css.status).toBe(200);
    expect(css.headers.get("etag")).not.toBe(etag);
    expect(await css.text()).toContain("--healthy");
  });

  it("answers 404 ERR_NOT_FOUND for anything that is not one of its files", async () => {
    for (const path of [
      "/_mesh/ui/nope.js",
      "/_mesh/ui/tsconfig.json",
      "/_mesh/ui/.assetsignore",
      "/_mesh/index.html",
    ]) {
      const res = await get(path);
      const body = (await res.json()) as { error: { code: string } };
      expect({ path, status: res.status, code: body.error.code }).toEqual({ path, status: 404, code: "ERR_NOT_FOUND" });
    }
  });

  it("never answers a path outside /_mesh/ui with one of its files: those belong to the data plane", async () => {
    for (const path of ["/index.html", "/dashboard.js", "/dashboard.css", "/quantile.js", "/"]) {
      const res = await get(path);
      const text = await res.text();
      expect({ path, csp: res.headers.get("content-security-policy") }).toEqual({ path, csp: null });
      expect(text).not.toMatch(/histogramQuantile|<!doctype html>|--healthy/i);
      expect(JSON.parse(text).error.code).toMatch(/^ERR_/);
    }
  });
});
