import { generate } from "selfsigned";

export interface ServerCertificate {
  key: string;
  cert: string;
}

let cached: Promise<ServerCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1/localhost. Generated once per process and shared, because key
 * generation dominates simulator start-up in test suites.
 */
export function simulatorCertificate(): Promise<ServerCertificate> {
  cached ??= generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
