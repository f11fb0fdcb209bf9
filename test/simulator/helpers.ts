import { Agent, request } from "undici";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";

export interface Http {
  agent: Agent;
  get(url: string, headers?: Record<string, string>): Promise<Answer>;
  post(url: string, body: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for JSON bodies
  json: any;
}

/** An undici client that trusts the simulator's self-signed certificate. */
export function httpFor(sim: RunningSimulator): Http {
  const agent = new Agent({ connect: { ca: sim.caPem } });
  const send = async (
    method: "GET" | "POST",
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    const res = await request(url, { method, body, headers, dispatcher: agent });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json };
  };
  return {
    agent,
    get: (url, headers) => send("GET", url, undefined, headers),
    post: (url, body, headers) => send("POST", url, body, headers),
    close: () => agent.close(),
  };
}

export const CF_BASIC = `Basic ${Buffer.from("cf:").toString("base64")}`;
export const FORM = "application/x-www-form-urlencoded";

/** Password grant as Promregator sends it (basic `cf:` plus the client fields in the body). */
export async function passwordToken(
  http: Http,
  sim: RunningSimulator,
  username = "admin",
  password = "admin",
): Promise<Answer> {
  const form = new URLSearchParams({
    client_id: "cf",
    client_secret: "",
    grant_type: "password",
    username,
    password,
  });
  return http.post(`${sim.uaaUrl}/oauth/token`, form.toString(), {
    authorization: CF_BASIC,
    "content-type": FORM,
  });
}

export async function bearer(http: Http, sim: RunningSimulator): Promise<Record<string, string>> {
  const answer = await passwordToken(http, sim);
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.text}`);
  return { authorization: `bearer ${answer.json.access_token}` };
}

/** A simulator, an HTTP client for it and a bearer header of the default user: the set-up most suites share. */
export async function startAuthorised(
  opts: SimulatorOptions,
): Promise<{ sim: RunningSimulator; http: Http; auth: Record<string, string> }> {
  const sim = await startSimulator(opts);
  const http = httpFor(sim);
  return { sim, http, auth: await bearer(http, sim) };
}

export async function stopAuthorised(
  sim: RunningSimulator | undefined,
  http: Http | undefined,
): Promise<void> {
  await http?.close();
  await sim?.close();
}
