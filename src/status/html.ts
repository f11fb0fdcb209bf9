import { escapeHtml as e, formatAge, formatBytes, formatLatency, timeElement, utcText } from "./format.js";
import { STATUS_CSS } from "./styles.js";
import type { InstanceStatus, StatusDocument } from "./types.js";

export interface HtmlOptions {
  /** Rows shown in the instance table; the JSON twin always lists all. */
  maxInstanceRows: number;
  /** Seconds between automatic reloads. */
  refreshSeconds: number;
}

/** The server-rendered status page: one self-contained document, no scripts, no external assets. */
export function renderStatusHtml(doc: StatusDocument, options: HtmlOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${options.refreshSeconds}">
<title>Promregator status${doc.ready ? "" : " (not ready)"}</title>
<style>${STATUS_CSS}</style>
</head>
<body>
<header>
<h1>Promregator status</h1>
<p class="meta">Version ${e(doc.version)} · generated ${e(utcText(doc.generatedAt))} · reloads every ${options.refreshSeconds} s</p>
</header>
<main>
${notices(doc)}
${overview(doc)}
${foundationsTable(doc)}
${targetsTable(doc)}
${instancesTable(doc, options.maxInstanceRows)}
${cachesTable(doc)}
</main>
<footer>
<p>Endpoints: <a href="discovery">/discovery</a> · <a href="promregatorMetrics">/promregatorMetrics</a> ·
<a href="status.json">/status.json</a> (this page as JSON) · <a href="health">/health</a> · <a href="ready">/ready</a></p>
</footer>
</body>
</html>
`;
}

const TARGETS_LINK = { id: "targets", label: "See what each configured target resolved to." };

/** The answers to "why does it show nothing?", above everything else. */
function notices(doc: StatusDocument): string {
  const out: string[] = [];
  if (!doc.ready) {
    out.push(
      notice(
        "bad",
        "Not ready: the first discovery has not completed yet. Until it does, /discovery answers 503 " +
          "and Prometheus keeps its previous targets.",
      ),
    );
  }
  const health = doc.cf.health;
  for (const f of doc.foundations ?? []) {
    if (f.ok || f.unused) continue;
    const what = f.lastSuccess ? `; its last ${f.instances} instances are kept` : "";
    out.push(
      notice(
        "bad",
        `Foundation ${f.name} (Cloud Controller ${f.apiUrl}) is failing: ${f.lastError ?? "no refresh has ended yet"}${what}`,
        { id: "foundations", label: "See the foundations." },
      ),
    );
  }
  if (health && !health.ok && !doc.foundations) {
    out.push(
      notice(
        "bad",
        `The Cloud Controller at ${doc.cf.apiUrl} is failing: ${health.lastError ?? "no details"}`,
      ),
    );
  }
  if (doc.ready && doc.summary.instances === 0) {
    out.push(
      notice("warn", "No app instances were discovered, so there is nothing to scrape.", TARGETS_LINK),
    );
  }
  const troubled = doc.discovery.targets.filter((t) => t.problem !== undefined).length;
  if (troubled > 0 && doc.summary.instances > 0) {
    out.push(
      notice(
        "warn",
        `${troubled} of ${doc.discovery.targets.length} configured targets report a problem.`,
        TARGETS_LINK,
      ),
    );
  }
  if (doc.summary.scrapeFailed > 0) {
    out.push(
      notice(
        "warn",
        `The last scrape failed for ${doc.summary.scrapeFailed} of ${doc.summary.instances} instances.`,
        { id: "instances", label: "See the instances." },
      ),
    );
  }
  for (const error of doc.errors ?? []) out.push(notice("warn", error));
  return out.join("\n");
}

function notice(kind: "bad" | "warn", text: string, see?: { id: string; label: string }): string {
  const link = see ? ` <a href="#${see.id}">${e(see.label)}</a>` : "";
  return `<p class="notice ${kind}" role="${kind === "bad" ? "alert" : "status"}">${e(text)}${link}</p>`;
}

function overview(doc: StatusDocument): string {
  const cf = doc.process.cf;
  const where = cf
    ? `app ${e(cf.appName ?? "?")} (index ${e(cf.instanceIndex ?? "?")}) in org ${e(cf.orgName ?? "?")}, ` +
      `space ${e(cf.spaceName ?? "?")}${cf.instanceGuid ? `, instance guid <code>${e(cf.instanceGuid)}</code>` : ""}`
    : "not running as a Cloud Foundry app";
  const health = doc.cf.health;
  const connection = !health
    ? "not monitored"
    : `${state(health.ok, health.ok ? "reachable" : "failing")}${
        health.lastSuccess ? `, last success ${timeElement(health.lastSuccess, true)}` : ", no success yet"
      }`;
  const s = doc.summary;
  return `<section aria-labelledby="overview">
<h2 id="overview">Overview</h2>
<dl class="facts">
<dt>Version</dt><dd>${e(doc.version)}</dd>
<dt>Process id</dt><dd><code>${e(doc.process.id)}</code> (sent as X-Promregator-Instance)</dd>
<dt>Running as</dt><dd>${where}</dd>
<dt>Ready</dt><dd>${state(doc.ready, doc.ready ? "yes" : "no")}</dd>
<dt>Cloud Controller</dt><dd>${doc.foundations ? `${e(doc.foundations.length)} foundations, <a href="#foundations">see below</a>` : `<code>${e(doc.cf.apiUrl)}</code>`}</dd>
<dt>CF connection</dt><dd>${connection}</dd>
<dt>Last successful refresh</dt><dd>${doc.discovery.lastRefresh ? timeElement(doc.discovery.lastRefresh, true) : "none yet"}${doc.foundations ? ' (the oldest of the foundations\' last successes, <a href="#foundations">see each</a>)' : ""}</dd>
<dt>Landscape last changed</dt><dd>${doc.discovery.lastChange ? timeElement(doc.discovery.lastChange, true) : "not discovered yet"}</dd>
<dt>Instances</dt><dd>${e(`${s.instances} discovered: ${s.scrapeOk} last scrape OK, ${s.scrapeFailed} failed, ${s.notScrapedYet} not scraped yet`)}</dd>
</dl>
</section>`;
}

function state(ok: boolean, text: string): string {
  return `<span class="state ${ok ? "ok" : "bad"}">${e(text)}</span>`;
}

/** With several foundations: each one's Cloud Controller and the outcome of its own discovery. */
function foundationsTable(doc: StatusDocument): string {
  if (!doc.foundations) return "";
  const rows = doc.foundations.map((f) => {
    const last = f.lastSuccess ? timeElement(f.lastSuccess, true) : f.unused ? "–" : "none yet";
    const latest = f.unused
      ? '<span class="state none">unused: no targets</span>'
      : state(f.ok, f.ok ? "OK" : "failing");
    return `<tr${f.ok || f.unused ? "" : ' class="bad"'}><th scope="row">${e(f.name)}</th><td><code>${e(f.apiUrl)}</code></td><td>${latest}</td><td>${last}</td><td class="num">${e(f.targets)}</td><td class="num">${e(f.instances)}</td><td class="problem">${f.lastError === undefined ? "–" : e(f.lastError)}</td></tr>`;
  });
  return `<section aria-labelledby="foundations">
<h2 id="foundations">Foundations</h2>
<div class="table-wrap"><table>
<caption>Each Cloud Foundry foundation's latest discovery refresh; a failing one keeps its last instances, one that no target names is not contacted</caption>
<thead><tr><th scope="col">Foundation</th><th scope="col">Cloud Controller</th><th scope="col">Latest refresh</th><th scope="col">Last success</th><th scope="col" class="num">Targets</th><th scope="col" class="num">Instances</th><th scope="col">Problem</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
</section>`;
}

function targetsTable(doc: StatusDocument): string {
  const targets = doc.discovery.targets;
  const head = `<section aria-labelledby="targets">\n<h2 id="targets">Configured targets</h2>`;
  if (targets.length === 0) {
    const why = doc.discovery.lastChange
      ? "The last discovery reported no configured targets (promregator.targets is empty)."
      : "No discovery has completed yet, so no target has been resolved.";
    return `${head}\n<p>${e(why)}</p>\n</section>`;
  }
  const rows = targets.map((t) => {
    if (t.pending) {
      return `<tr><td class="num">${e(t.targetIndex)}</td><th scope="row"><code>${e(t.description)}</code></th><td class="num">–</td><td class="problem">not resolved yet: the first discovery has not completed</td></tr>`;
    }
    const bad = t.problem !== undefined || t.instances === 0;
    return `<tr${bad ? ' class="bad"' : ""}><td class="num">${e(t.targetIndex)}</td><th scope="row"><code>${e(t.description)}</code></th><td class="num">${e(t.instances)}</td><td class="problem">${t.problem === undefined ? "–" : `${t.why ? `<strong>${e(t.why.kind === "cc-error" ? "Cloud Controller error" : t.why.text)}</strong>: ` : ""}${e(t.problem)}`}</td></tr>`;
  });
  return `${head}
<div class="table-wrap"><table>
<caption>What each entry of promregator.targets resolved to in the last discovery</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Target</th><th scope="col" class="num">Instances</th><th scope="col">Problem</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
</section>`;
}

function instancesTable(doc: StatusDocument, maxRows: number): string {
  const head = `<section aria-labelledby="instances">\n<h2 id="instances">Instances</h2>`;
  if (doc.instances.length === 0) return `${head}\n<p>No instances discovered.</p>\n</section>`;
  // Failures first, so that they are never hidden behind the row limit.
  const ordered = [
    ...doc.instances.filter((i) => i.lastScrape?.ok === false),
    ...doc.instances.filter((i) => i.lastScrape?.ok !== false),
  ];
  const shown = ordered.slice(0, Math.max(0, maxRows));
  // The same app may run in two foundations: then only this column tells their rows apart.
  const several = doc.foundations !== undefined;
  const capped = shown.length < ordered.length;
  const caption = capped
    ? `Discovered instances and their last scrape, failed first: showing ${shown.length} of ${ordered.length} (status.json lists all)`
    : `Discovered instances and their last scrape, failed first (${ordered.length})`;
  return `${head}
<div class="table-wrap"><table>
<caption>${e(caption)}</caption>
<thead><tr>${several ? '<th scope="col">Foundation</th>' : ""}<th scope="col">Org</th><th scope="col">Space</th><th scope="col">App</th><th scope="col" class="num">Index</th><th scope="col">Scrape URL</th><th scope="col">Last scrape</th><th scope="col">Reason</th><th scope="col" class="num">Latency</th><th scope="col" class="num">Size</th><th scope="col">When</th></tr></thead>
<tbody>
${shown.map((i) => instanceRow(i, several)).join("\n")}
</tbody>
</table></div>${capped ? `\n<p>${ordered.length - shown.length} more instances are not shown here; see <a href="status.json">status.json</a>.</p>` : ""}
</section>`;
}

function instanceRow(i: InstanceStatus, withFoundation: boolean): string {
  const cells = [e(i.orgName), e(i.spaceName)];
  const last = i.lastScrape;
  const scrape = last
    ? [
        `<span class="state ${last.ok ? "ok" : "bad"}">${last.ok ? "OK" : "failed"}</span>`,
        `<td class="reason">${last.reason === undefined ? "–" : e(last.reason)}</td>`,
        `<td class="num">${e(formatLatency(last.latencySeconds))}</td>`,
        `<td class="num">${e(formatBytes(last.bytes))}</td>`,
        `<td>${timeElement(last.when)}</td>`,
      ]
    : [
        '<span class="state none">not yet</span>',
        "<td>–</td>",
        '<td class="num">–</td>',
        '<td class="num">–</td>',
        "<td>–</td>",
      ];
  const foundation = withFoundation ? `<td>${e(i.foundation ?? "–")}</td>` : "";
  return `<tr>${foundation}<td>${cells[0]}</td><td>${cells[1]}</td><th scope="row" title="${e(i.instanceId)}">${e(i.appName)}</th><td class="num">${e(i.index)}</td><td class="url"><code>${e(i.url)}</code></td><td>${scrape[0]}</td>${scrape.slice(1).join("")}</tr>`;
}

function cachesTable(doc: StatusDocument): string {
  const head = `<section aria-labelledby="caches">\n<h2 id="caches">Caches</h2>`;
  if (doc.caches.length === 0) return `${head}\n<p>No cache statistics available.</p>\n</section>`;
  const rows = doc.caches.map(
    (c) =>
      `<tr><th scope="row">${e(c.cache)}</th><td class="num">${e(c.entries)}</td><td class="num">${e(formatAge(c.oldestAgeSeconds))}</td><td class="num">${e(c.loads ?? "–")}</td><td class="num">${e(c.loadFailures ?? "–")}</td></tr>`,
  );
  return `${head}
<div class="table-wrap"><table>
<caption>Discovery caches: size and age of the oldest entry</caption>
<thead><tr><th scope="col">Cache</th><th scope="col" class="num">Entries</th><th scope="col" class="num">Oldest entry</th><th scope="col" class="num">Loads</th><th scope="col" class="num">Load failures</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
</section>`;
}
