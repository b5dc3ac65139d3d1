import { describe, expect, it } from "vitest";
import { callerOf } from "../../src/proxy/caller";
import { api, env } from "../helpers/admin";

describe("certificate identities API", () => {
  it("maps a subject DN to a service (201, then 200), refuses one certificate for two services (409), deletes", async () => {
    const dn = "CN=billing,O=Example Corp";
    const put = await api("PUT", "/identities/billing", { cert_subject_dn: dn });
    expect(put.status).toBe(201);
    expect(put.json).toEqual({ service: "billing", cert_subject_dn: dn });
    expect((await api("PUT", "/identities/billing", { cert_subject_dn: dn })).status).toBe(200);
    const clash = await api("PUT", "/identities/orders", { cert_subject_dn: dn });
    expect(clash.status).toBe(409);
    expect(clash.json.error.code).toBe("ERR_CONFLICT");
    expect(clash.json.error.message).toContain("'billing'");
    expect((await api("GET", "/identities")).json.identities).toEqual([{ service: "billing", cert_subject_dn: dn }]);
    expect((await api("PUT", "/identities/billing", { cert_subject_dn: "" })).status).toBe(400);
    expect((await api("DELETE", "/identities/billing")).status).toBe(204);
    expect((await api("DELETE", "/identities/billing")).status).toBe(404);
  });
});

describe("the caller of a request", () => {
  const certs = new Map([["CN=billing", "billing"]]);
  const none = new Headers();
  it("is the service a verified, mapped client certificate names", async () => {
    const cert = { certVerified: "SUCCESS", certSubjectDN: "CN=billing" };
    expect(await callerOf(none, cert, certs, env, Date.now())).toBe("billing");
  });

  it("is external for an unverified, unmapped or absent certificate, or a bad token", async () => {
    const now = Date.now();
    expect(
      await callerOf(none, { certVerified: "FAILED:self signed", certSubjectDN: "CN=billing" }, certs, env, now),
    ).toBe("external");
    expect(await callerOf(none, { certVerified: "SUCCESS", certSubjectDN: "CN=mallory" }, certs, env, now)).toBe(
      "external",
    );
    expect(await callerOf(none, undefined, certs, env, now)).toBe("external");
    expect(await callerOf(new Headers({ "x-mesh-caller": "x.y.z" }), undefined, certs, env, now)).toBe("external");
  });
});
