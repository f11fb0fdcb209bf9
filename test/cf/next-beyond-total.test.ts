import { describe, expect, it } from "vitest";
import { authorised, capturingLogger, json, org, page, useFakeCf } from "./fake-cf.js";

/**
 * A page at the first page's total_pages whose pagination.next is not null: the list still ends there (bounded
 * paging), and the contradiction is logged as a warning naming the resource and the ignored link's path.
 */

const cf = useFakeCf();

/** Organizations answered in one page that says total_pages 1 and still links to page 2. */
function contradictingOrgs(): void {
  cf.fake.on("GET /v3/organizations", (req, res, f) => {
    if (!authorised(req, res, f)) return;
    const page2 = `${f.url}/v3/organizations?page=2&per_page=1000&names=secret-org`;
    json(res, 200, page([org("o1")], page2, 1));
  });
}

const ignoredLinkLines = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => typeof l.msg === "string" && l.msg.includes("with a pagination.next link"));

describe("a next link on the last page of total_pages", () => {
  it("is not followed, and the first such read warns naming the resource and the link's path only", async () => {
    contradictingOrgs();
    const { logger, lines } = capturingLogger();
    const orgs = await cf.client({}, { logger }).listOrganizations();

    expect(orgs.map((o) => o.guid)).toEqual(["o1"]);
    expect(cf.fake.requestsTo("/v3/organizations")).toHaveLength(1);
    const logged = ignoredLinkLines(lines());
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 40, // warn
      resource: "org",
      path: "/v3/organizations",
      next: "/v3/organizations",
      totalPages: 1,
      msg: "GET /v3/organizations answered page 1 of total_pages 1 with a pagination.next link; the list ends at total_pages and the link is not followed",
    });
    // Neither the link's query nor a token is written.
    expect(JSON.stringify(lines())).not.toContain("secret-org");
    expect(JSON.stringify(lines())).not.toMatch(/access-\d/);
  });

  it("repeats at debug on later reads, and is no failure that a read would recover from", async () => {
    contradictingOrgs();
    const { logger, lines } = capturingLogger();
    const client = cf.client({}, { logger });
    for (let i = 0; i < 3; i++) await client.listOrganizations();

    expect(ignoredLinkLines(lines()).map((l) => l.level)).toEqual([40, 20, 20]);
    expect(lines().some((l) => l.msg === "Cloud Controller requests succeed again")).toBe(false);
  });

  it("says nothing when the last page has no next link", async () => {
    cf.fake.on("GET /v3/organizations", (req, res, f) => {
      if (authorised(req, res, f)) json(res, 200, page([org("o1")]));
    });
    const { logger, lines } = capturingLogger();
    await cf.client({}, { logger }).listOrganizations();
    expect(ignoredLinkLines(lines())).toEqual([]);
  });
});
