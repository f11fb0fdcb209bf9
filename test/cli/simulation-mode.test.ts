import { describe, expect, it } from "vitest";
import { freePort } from "../e2e/prometheus.js";
import { startPromregatorProcess } from "../e2e/promregator-process.js";

describe("promregator.simulation.enabled", () => {
  it("serves the Java version's simulated landscape (100 apps x instances, plus the own-metrics target)", async () => {
    const port = await freePort();
    const proc = await startPromregatorProcess({
      port,
      yaml: `
promregator:
  simulation: {enabled: true, instances: 2}
  targets:
    - orgName: simorg
      spaceName: simspace
server: {port: ${port}, address: 127.0.0.1}
`,
    });
    try {
      const doc = (await (await fetch(`${proc.url}/discovery`)).json()) as {
        labels: Record<string, string>;
      }[];
      expect(doc).toHaveLength(201);
      const apps = new Set(
        doc.map((g) => g.labels.__meta_promregator_target_applicationName).filter(Boolean),
      );
      expect(apps.size).toBe(100);
      expect(apps.has("testapp42")).toBe(true);
      const scrape = await fetch(`${proc.url}${doc[0].labels.__metrics_path__}`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/^promregator_up 1\.0$/m);
    } finally {
      await proc.kill();
    }
  });
});
