import { z } from "@hono/zod-openapi";

/** The body of `PUT /identities/{service}`: the verified client certificate that is this service. */
export const CertIdentityInput = z
  .object({
    cert_subject_dn: z.string().min(1).max(1024).openapi({
      description:
        "The certificate's subject DN exactly as Cloudflare reports it in request.cf.tlsClientAuth.certSubjectDN",
      example: "CN=billing,O=Example Corp",
    }),
  })
  .strict()
  .openapi("CertIdentityInput");

export const CertIdentity = CertIdentityInput.extend({ service: z.string() }).openapi("CertIdentity");

export type CertIdentityInput = z.infer<typeof CertIdentityInput>;
export type CertIdentity = z.infer<typeof CertIdentity>;
