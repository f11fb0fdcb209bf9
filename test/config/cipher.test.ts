import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decryptValue, encryptValue } from "../../src/config/cipher.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const VECTOR_1 = "d93dd725143e187804e4105a681706c1185c58f92086bf55aa830e61c0527060";
const VECTOR_2 = "f4ab6e1e324a9d435a45a11acd48dd27a302022a291fc8a24e2d2051088bdf9c";

const secretsDir = mkdtempSync(join(tmpdir(), "promregator-secrets-"));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

function withPassword(value: string): string {
  return `cf:\n  api_host: api.example.com\n  username: u\n  password: '${value}'\n`;
}

describe("{cipher} values", () => {
  it("decrypt the Spring Cloud test vectors", () => {
    expect(decryptValue(VECTOR_1, "mySecretKey")).toBe("mysecret");
    expect(decryptValue(VECTOR_2, "someotherkey")).toBe("myothersecret");
  });

  it("round-trip through encryptValue, also with another salt and UTF-8 text", () => {
    const hex = encryptValue("pässwörd with spaces", "k3y");
    expect(hex).toMatch(/^[0-9a-f]+$/);
    expect(decryptValue(hex, "k3y")).toBe("pässwörd with spaces");
    const salted = encryptValue("x", "k", { salt: "cafebabe" });
    expect(decryptValue(salted, "k", "cafebabe")).toBe("x");
    expect(() => decryptValue(salted, "k")).toThrow(/decryption failed/);
  });

  it("reproduce a vector exactly when the IV is fixed", () => {
    const iv = Buffer.from(VECTOR_1.slice(0, 32), "hex");
    expect(encryptValue("mysecret", "mySecretKey", { iv })).toBe(VECTOR_1);
  });

  it("are decrypted in the configuration with ENCRYPT_KEY", () => {
    const { config } = load(withPassword(`{cipher}${VECTOR_1}`), { env: { ENCRYPT_KEY: "mySecretKey" } });
    expect(config.cf.password).toBe("mysecret");
  });

  it("use encrypt.key and encrypt.salt from the file", () => {
    const hex = encryptValue("built-in-test", "file-key", { salt: "0011aabb" });
    const yaml = `${withPassword(`{cipher}${hex}`)}encrypt:\n  key: file-key\n  salt: 0011aabb\n`;
    expect(load(yaml).config.cf.password).toBe("built-in-test");
  });

  it("read the key from ENCRYPT_KEY_FILE in the secrets folder, dropping trailing newlines", () => {
    writeFileSync(join(secretsDir, "encrypt_key_file"), "someotherkey\n\n");
    const { config } = load(withPassword(`{cipher}${VECTOR_2}`), {
      env: { ENCRYPT_KEY_FILE: "encrypt_key_file", ENCRYPT_KEY: "ignored-because-the-file-wins" },
      secretsDir,
    });
    expect(config.cf.password).toBe("myothersecret");
  });

  it("keep spaces inside a key file", () => {
    const hex = encryptValue("spaced", "Test Key With Spaces");
    writeFileSync(join(secretsDir, "spaced"), "Test Key With Spaces");
    const { config } = load(withPassword(`{cipher}${hex}`), {
      env: { ENCRYPT_KEY_FILE: "spaced" },
      secretsDir,
    });
    expect(config.cf.password).toBe("spaced");
  });

  it("are decrypted when referenced by a placeholder and inside authenticators", () => {
    const hex = encryptValue("basic-pw", "k");
    const yaml = `${MINIMAL_CF}secrets:
  basic: '{cipher}${hex}'
promregator:
  targetAuthenticators:
    - id: a
      type: basic
      basic: { username: u, password: "\${secrets.basic}" }
    - id: b
      type: basic
      basic: { username: u, password: '{cipher}${hex}' }
`;
    const { config } = load(yaml, { env: { ENCRYPT_KEY: "k" } });
    expect(config.promregator.targetAuthenticators.map((a) => a.basic?.password)).toEqual([
      "basic-pw",
      "basic-pw",
    ]);
  });

  it("are fatal without a key, naming the key path and line", () => {
    expect(errorOf(withPassword(`{cipher}${VECTOR_1}`))).toBe(
      "cf.password (promregator.yml:4): the value is encrypted ({cipher}) but no key is configured: set ENCRYPT_KEY, ENCRYPT_KEY_FILE or encrypt.key",
    );
  });

  it("are fatal with a wrong key, without revealing key, ciphertext or plaintext", () => {
    const message = errorOf(withPassword(`{cipher}${VECTOR_1}`), { env: { ENCRYPT_KEY: "wrongKey" } });
    expect(message).toMatch(/^cf\.password \(promregator\.yml:4\): cannot decrypt the \{cipher\} value/);
    expect(message).not.toContain("wrongKey");
    expect(message).not.toContain(VECTOR_1);
    expect(message).not.toContain("mysecret");
  });

  it("are fatal when not hex", () => {
    expect(errorOf(withPassword("{cipher}not-hex"), { env: { ENCRYPT_KEY: "k" } })).toBe(
      "cf.password (promregator.yml:4): cannot decrypt the {cipher} value: the text after {cipher} is not hex",
    );
  });

  it("report a missing key file by its path", () => {
    expect(
      errorOf(withPassword(`{cipher}${VECTOR_1}`), { env: { ENCRYPT_KEY_FILE: "absent" }, secretsDir }),
    ).toBe(`ENCRYPT_KEY_FILE: cannot read the file ${join(secretsDir, "absent")} (ENOENT)`);
  });
});
