/**
 * `{cipher}` values as Spring Cloud Config's default text encryptor writes them: the key is derived with
 * PBKDF2-HMAC-SHA1 (1024 iterations, 256 bit) from the password and a hex salt, the value is
 * hex(IV[16] || AES-256-CBC(plaintext, PKCS#7 padding)).
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { readGuardedFile } from "./read-file.js";

export const CIPHER_PREFIX = "{cipher}";
export const DEFAULT_SALT = "deadbeef";
/** Docker secrets are mounted here; `ENCRYPT_KEY_FILE` names a file in it. */
export const DEFAULT_SECRETS_DIR = "/run/secrets";

const IV_BYTES = 16;

function deriveKey(password: string, saltHex: string): Buffer {
  if (!/^([0-9a-f]{2})*$/i.test(saltHex)) {
    throw new Error("encrypt.salt must be written in hex, with an even number of digits");
  }
  return pbkdf2Sync(password, Buffer.from(saltHex, "hex"), 1024, 32, "sha1");
}

/** Produces the hex text to put after `{cipher}`; the IV is random unless given (tests). */
export function encryptValue(
  plaintext: string,
  password: string,
  options: { salt?: string; iv?: Buffer } = {},
): string {
  const iv = options.iv ?? randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) throw new Error(`the IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv("aes-256-cbc", deriveKey(password, options.salt ?? DEFAULT_SALT), iv);
  return Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final()]).toString("hex");
}

/**
 * Decrypts the hex text after `{cipher}`. Errors say what is wrong in general terms only: never the key, and
 * never anything derived from the plaintext.
 */
export function decryptValue(hex: string, password: string, salt: string = DEFAULT_SALT): string {
  const text = hex.trim();
  if (!/^([0-9a-f]{2})+$/i.test(text)) throw new Error("the text after {cipher} is not hex");
  const bytes = Buffer.from(text, "hex");
  if (bytes.length < IV_BYTES * 2 || (bytes.length - IV_BYTES) % 16 !== 0) {
    throw new Error("the text after {cipher} has the wrong length for AES-256-CBC");
  }
  const key = deriveKey(password, salt);
  try {
    const decipher = createDecipheriv("aes-256-cbc", key, bytes.subarray(0, IV_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES)), decipher.final()]);
    // A wrong key passes the CBC padding check about once in 256 tries; its output is almost never UTF-8.
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    throw new Error("decryption failed (wrong encrypt key or salt, or a damaged value)");
  }
}

/**
 * The key from `ENCRYPT_KEY_FILE` as the Java Docker image reads it: the file's content without trailing
 * newlines. Returns undefined when the variable is not set.
 */
export function readEncryptKeyFile(env: NodeJS.ProcessEnv, secretsDir: string): string | undefined {
  const name = env.ENCRYPT_KEY_FILE;
  if (!name) return undefined;
  const file = join(secretsDir, name);
  const content = readGuardedFile(file, { key: "ENCRYPT_KEY_FILE" }).toString("utf8");
  return content.replace(/\n+$/, "");
}
