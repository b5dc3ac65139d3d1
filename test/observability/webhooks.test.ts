import { describe, expect, it } from "vitest";
import { WEBHOOK_BACKOFF_CAP_MS, signature, webhookBackoffMs } from "../../src/observability/webhooks";

describe("webhook signing and backoff", () => {
  it("signs the body with HMAC-SHA256 as hex (RFC 4231 test case 2)", async () => {
    expect(await signature("Jefe", "what do ya want for nothing?")).toBe(
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("backs off 1 s, 2 s, 4 s … up to 5 minutes", () => {
    expect([0, 1, 2, 3, 4].map(webhookBackoffMs)).toEqual([0, 1000, 2000, 4000, 8000]);
    expect(webhookBackoffMs(40)).toBe(WEBHOOK_BACKOFF_CAP_MS);
  });
});
