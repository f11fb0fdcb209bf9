import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { logStartup } from "../../src/startup-log.js";
import { VERSION } from "../../src/version.js";

describe("start-up line", () => {
  it("says version, config file, CF API, user, targets and listen address in one info line, without secrets", () => {
    const { config } = loadConfig({
      text: `cf: {api_host: "https://api.cf.example.org", username: monitor, password: cf-secret-1}
promregator:
  targets: [{orgName: acme, spaceName: prod}, {orgRegex: "team-.*"}]
  authentication: {basic: {password: inbound-secret-2}}
`,
    });
    const lines: string[] = [];
    logStartup(
      createLogger("info", { write: (l: string) => void lines.push(l) }),
      config,
      "http://0.0.0.0:8080",
      "p-1",
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: "info",
      version: VERSION,
      cfApi: "https://api.cf.example.org",
      cfUser: "monitor",
      targets: ["org=acme space=prod app=*", "org=/team-.*/ space=* app=*"],
      listen: "http://0.0.0.0:8080",
    });
    expect(lines[0]).not.toMatch(/cf-secret-1|inbound-secret-2/);
  });
});
