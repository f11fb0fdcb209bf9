import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DiscoveredInstance, DiscoverySnapshot, TargetReport } from "../../src/discovery/types.js";
import type { StatusView } from "../../src/server/handler.js";
import { discoveredInstance, snapshotOf as snapshotWith } from "../support/instances.js";

export const GUID = "6c1d6c9e-5b7a-4d8e-9f10-0123456789ab";
/** The fixed "now" of all status tests: 2024-05-01T12:00:00.000Z */
export const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

export function instance(index: number, overrides: Partial<DiscoveredInstance> = {}): DiscoveredInstance {
  return discoveredInstance(overrides.appGuid ?? GUID, index, {
    orgName: "org-a",
    spaceName: "space-a",
    appName: "app-a",
    url: "https://app-a.apps.example.com/metrics",
    ...overrides,
  });
}

export function snapshotOf(
  instances: DiscoveredInstance[],
  targets: TargetReport[] = [
    { targetIndex: 0, description: "org=org-a space=space-a app=app-a", instances: instances.length },
  ],
  refreshedAt = NOW - 12_000,
): DiscoverySnapshot {
  return snapshotWith(instances, targets, refreshedAt);
}

/** Serves a StatusView on 127.0.0.1 the way the request handler does: status code 200 and its content type. */
export async function serve(view: StatusView): Promise<{ base: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    view.render(req).then(
      (page) => res.writeHead(200, { "content-type": page.contentType }).end(page.body),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The HTML of one <section aria-labelledby="…">, to look at one table only. */
export function section(html: string, id: string): string {
  const start = html.indexOf(`<section aria-labelledby="${id}">`);
  if (start < 0) throw new Error(`no section ${id}`);
  return html.slice(start, html.indexOf("</section>", start));
}

const VOID = new Set(["meta", "link", "br", "hr", "img", "input"]);

/** Elements that were opened but not closed (or closed out of order); empty for well-nested markup. */
export function unbalancedTags(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, "<style></style>");
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, closing, rawName] = match;
    const name = rawName.toLowerCase();
    if (VOID.has(name)) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) problems.push(`unexpected </${name}>`);
  }
  return [...problems, ...stack.map((name) => `unclosed <${name}>`)];
}
