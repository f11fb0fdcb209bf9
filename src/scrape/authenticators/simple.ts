import type { ScrapeCredential } from "../../discovery/index.js";
import { ScrapeFailure } from "../failure.js";
import type { OutboundAuthenticator } from "./types.js";

/** `none` / `null`: no Authorization header. */
export class NoAuthenticator implements OutboundAuthenticator {
  readonly label = "none";

  authorization(): undefined {
    return undefined;
  }

  rejected(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}

/** `basic`: a fixed `Basic base64(user:password)` header. */
export class BasicAuthenticator implements OutboundAuthenticator {
  private readonly header: string | undefined;
  private readonly problem: string | undefined;

  constructor(
    readonly label: string,
    username: string | undefined,
    password: string | undefined,
  ) {
    // Java would send the literal "null:null"; a clear failure is more useful than a guaranteed 401.
    if (username === undefined || username === "") {
      this.problem = `authenticator ${label} has no basic.username`;
    } else {
      this.header = `Basic ${Buffer.from(`${username}:${password ?? ""}`, "utf8").toString("base64")}`;
    }
  }

  authorization(): string {
    if (this.header === undefined) throw new ScrapeFailure("auth", this.problem ?? "no credentials");
    return this.header;
  }

  rejected(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}

/** Stands in for an authenticator whose settings cannot work; every scrape fails with the reason. */
export class MisconfiguredAuthenticator implements OutboundAuthenticator {
  constructor(
    readonly label: string,
    private readonly problem: string,
  ) {}

  authorization(): never {
    throw new ScrapeFailure("auth", this.problem);
  }

  rejected(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}

/** Credentials discovery found for one app (its service binding's Basic credentials). */
export class CredentialAuthenticator implements OutboundAuthenticator {
  readonly label: string;

  constructor(private readonly credential: ScrapeCredential) {
    this.label = credential.label;
  }

  authorization(): string {
    return this.credential.authorization();
  }

  rejected(): boolean {
    return false;
  }

  async close(): Promise<void> {}
}
