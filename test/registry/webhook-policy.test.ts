import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

describe("webhooks and the origin policy", () => {
  it("are not sent to an IP address while MESH_ALLOW_PRIVATE_ORIGINS is off, even if stored before", async () => {
    const reg = env.REGISTRY.get(env.REGISTRY.idFromName("webhook-policy"));
    // Stored past the API's check, as a webhook registered while private origins were allowed would be.
    await reg.putWebhook("private", { url: "http://127.0.0.1:9/hook", events: ["health"], secret: "0123456789abcdef" });
    await reg.putService("s", ServiceInput.parse({ routes: [{ path_prefix: "/s" }], health_check: null }));
    await reg.putOrigin("s", "o", OriginInput.parse({ url: "https://o.example.com" }));
    await reg.patchOrigin("s", "o", { drain: true });
    await runDurableObjectAlarm(reg);
    const [hook] = await reg.listWebhooks();
    expect(hook?.status.delivered).toBe(0);
    expect(hook?.status.last_error).toMatch(/^policy: host 127\.0\.0\.1 is a loopback address/);
  });
});
