import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, sleep } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// The dashboard in real headless Chromium (Debian's /usr/bin/chromium)
// against the real Worker and real origins with 1-second health checks.

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let mesh: Mesh;
let browser: Browser;
let origins: Origin[] = [];
let sending = true;
let load: Promise<void> = Promise.resolve();

beforeAll(async () => {
  [mesh, ...origins] = await Promise.all([
    startMesh(),
    ...["shop-a", "shop-b", "search-a"].map((name) => startOrigin({ name })),
  ]);
  const checks = { interval_s: 1, timeout_ms: 500, healthy_threshold: 1, unhealthy_threshold: 2 };
  // Passive ejection is switched off for "shop": the test watches the active checks mark a dead origin unhealthy.
  const shop = {
    routes: [{ path_prefix: "/shop" }],
    health_check: checks,
    outlier_detection: { consecutive_failures: 1000 },
  };
  expect((await mesh.admin("PUT", "/services/shop", shop)).status).toBe(201);
  expect(
    (
      await mesh.admin("PUT", "/services/search", {
        routes: [{ host: "127.0.0.1", path_prefix: "/search" }],
        health_check: checks,
      })
    ).status,
  ).toBe(201);
  for (const o of origins) {
    const service = o.name.split("-")[0];
    expect(
      (await mesh.admin("PUT", `/services/${service}/origins/${o.name}`, { url: mesh.expose(o), zone: "local" }))
        .status,
    ).toBe(201);
  }
  // Steady background traffic, so the page has rates and latencies to show.
  load = (async () => {
    for (let i = 0; sending; i++) {
      const path = i % 3 === 0 ? "/search/q" : "/shop/cart";
      await fetchWithTimeout(`${mesh.url}${path}`, { timeoutMs: 10_000 })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      await sleep(100);
    }
  })();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

afterAll(async () => {
  sending = false;
  await load;
  await browser?.close();
  await Promise.all([mesh?.stop(), ...origins.map((o) => o.stop())]);
});

describe("dashboard", () => {
  it("asks for a token and refuses a bad one", async () => {
    const page = await browser.newPage();
    await page.goto(`${mesh.url}/_mesh/ui`);
    await page.fill("#token", "not-a-token");
    await page.click("#connect");
    await page.waitForFunction(() => /rejected/.test(document.getElementById("banner")!.textContent ?? ""));
    expect(await page.isVisible("#login")).toBe(true);
    expect(await page.isVisible("#dash")).toBe(false);
    await page.fill("#token", await mesh.token("mesh:heartbeat"));
    await page.click("#connect");
    await page.waitForFunction(() => /mesh:read/.test(document.getElementById("banner")!.textContent ?? ""));
    await page.close();
  });

  it("shows the services, an origin turning unhealthy when it is killed, the events and the log tail", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const foreign: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(mesh.url)) foreign.push(req.url());
    });
    await page.goto(`${mesh.url}/_mesh/ui`);
    await page.fill("#token", await mesh.token("mesh:read"));
    await page.click("#connect");

    await page.waitForSelector('[data-service="shop"]');
    await page.waitForSelector('[data-service="search"]');
    await page.waitForSelector('[data-origin="shop/shop-a"][data-status="healthy"]', { timeout: 15_000 });
    await page.waitForSelector('[data-origin="shop/shop-b"][data-status="healthy"]', { timeout: 15_000 });
    expect(
      await page.evaluate(() => [sessionStorage.getItem("flaremesh.token") !== null, localStorage.length]),
    ).toEqual([true, 0]);

    await origins[1]!.kill();
    await page.waitForSelector('[data-origin="shop/shop-b"][data-status="unhealthy"]', { timeout: 20_000 });
    await page.waitForFunction(
      () =>
        /shop\/shop-b/.test(document.getElementById("events")!.textContent ?? "") &&
        /unhealthy/.test(document.getElementById("events")!.textContent ?? ""),
    );
    // Rates need two readings; the log tail fills from the background traffic.
    await page.waitForFunction(
      () => /^[0-9.]+$/.test(document.getElementById("c-rate")!.textContent ?? ""),
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => (document.getElementById("logs")!.textContent ?? "").includes("/shop/cart"));
    const row = await page.textContent('[data-origin="shop/shop-a"]');
    expect(row).toMatch(/healthy/);
    expect(await page.textContent("#c-origins")).toBe("2 / 3");

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    expect(foreign).toEqual([]);
    await page.close();
  });

  it("shows what each checker region sees of an origin, and each pool's state", async () => {
    const [eu, us] = await Promise.all([startOrigin({ name: "geo-eu" }), startOrigin({ name: "geo-us" })]);
    origins.push(eu, us); // stopped with the others
    eu.set({ healthStatusByRegion: { weur: 500 } }); // one region of three disagrees: still healthy
    const geo = {
      routes: [{ path_prefix: "/geo" }],
      health_check: {
        interval_s: 1,
        timeout_ms: 500,
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        regions: ["wnam", "weur", "apac"],
      },
      pools: { eu: { priority: 1 }, us: { priority: 2 } },
    };
    expect((await mesh.admin("PUT", "/services/geo", geo)).status).toBe(201);
    for (const [id, o, zone] of [
      ["geo-eu", eu, "eu"],
      ["geo-us", us, "us"],
    ] as const) {
      expect((await mesh.admin("PUT", `/services/geo/origins/${id}`, { url: mesh.expose(o), zone })).status).toBe(201);
    }

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${mesh.url}/_mesh/ui`);
    await page.fill("#token", await mesh.token("mesh:read"));
    await page.click("#connect");
    const row = '[data-origin="geo/geo-eu"]';
    await page.waitForSelector(`${row}[data-status="healthy"] [data-region="weur"][data-region-status="unhealthy"]`, {
      timeout: 15_000,
    });
    for (const r of ["wnam", "apac"])
      await page.waitForSelector(`${row} [data-region="${r}"][data-region-status="healthy"]`);
    expect(await page.getAttribute(`${row} [data-region="weur"]`, "title")).toMatch(
      /^weur: unhealthy · status 500 · \d+ ms$/,
    );
    expect(await page.textContent(`[data-service="geo"] thead`)).toContain("Regions");

    // Pools in failover order, each with eligible / total and its state.
    await page.waitForSelector('[data-pool="geo/eu"][data-pool-healthy="true"]');
    await page.waitForSelector('[data-pool="geo/us"][data-pool-healthy="true"]', { timeout: 15_000 });
    expect(
      await page.$$eval('[data-service="geo"] [data-pool]', (rows) => rows.map((r) => r.getAttribute("data-pool"))),
    ).toEqual(["geo/eu", "geo/us"]);
    expect(await page.textContent('[data-pool="geo/eu"]')).toMatch(/healthy\s*eu\s*1\s*1 \/ 1\s*1/);

    // Two regions failing the us origin: it turns unhealthy, and so does its pool (0 of its 1 origin eligible).
    us.set({ healthStatusByRegion: { wnam: 503, apac: 503 } });
    await page.waitForSelector('[data-pool="geo/us"][data-pool-healthy="false"]', { timeout: 15_000 });
    expect(await page.textContent('[data-pool="geo/us"]')).toContain("0 / 1");
    expect(await page.getAttribute('[data-origin="geo/geo-us"]', "data-status")).toBe("unhealthy");
    await page.waitForFunction(() =>
      (document.getElementById("events")!.textContent ?? "").includes(
        "active: unhealthy in wnam, apac of 3: status 503",
      ),
    );
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-regions.png"), fullPage: true });
    await page.close();
  });

  it("logs in once from a #token= link, then removes the token from the address bar and history", async () => {
    const page = await browser.newPage();
    const token = await mesh.token("mesh:read");
    await page.goto(`${mesh.url}/_mesh/ui#token=${encodeURIComponent(token)}`);
    await page.waitForSelector('[data-service="shop"]');
    expect(page.url()).toBe(`${mesh.url}/_mesh/ui`);
    expect(await page.evaluate(() => [location.hash, sessionStorage.getItem("flaremesh.token")])).toEqual(["", token]);
    await page.goBack().catch(() => undefined);
    expect(page.url()).not.toContain("token=");
    await page.close();
  });
});
