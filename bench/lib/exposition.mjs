// A realistic Prometheus text exposition (0.0.4) of a given size: counters, gauges and histograms with
// labels in the style of a typical instrumented web service. Deterministic for a given seed.

const SUBSYSTEMS = [
  "http_server",
  "http_client",
  "jvm_memory",
  "jvm_gc",
  "jvm_threads",
  "hikaricp_connections",
  "cache",
  "kafka_consumer",
  "kafka_producer",
  "grpc_server",
  "executor",
  "tomcat_sessions",
  "logback",
  "orders",
  "payments",
  "inventory",
  "auth",
  "search",
  "mail",
  "scheduler",
  "resilience4j_circuitbreaker",
  "redis_commands",
  "s3_requests",
  "feature_flags",
];

const NOUNS = {
  counter: [
    "requests_total",
    "errors_total",
    "bytes_total",
    "retries_total",
    "events_total",
    "rejected_total",
  ],
  gauge: ["active", "size_bytes", "utilization_ratio", "pending", "limit", "last_success_timestamp_seconds"],
  histogram: ["duration_seconds", "payload_size_bytes", "wait_seconds"],
};

const LABEL_VALUES = {
  method: ["GET", "POST", "PUT", "DELETE"],
  uri: [
    "/api/orders",
    "/api/orders/{id}",
    "/api/items",
    "/api/items/{id}",
    "/api/cart",
    "/login",
    "/actuator/health",
  ],
  status: ["200", "201", "204", "400", "401", "404", "500", "503"],
  outcome: ["SUCCESS", "CLIENT_ERROR", "SERVER_ERROR"],
  area: ["heap", "nonheap"],
  id: [
    "G1 Eden Space",
    "G1 Old Gen",
    "G1 Survivor Space",
    "Metaspace",
    "CodeCache",
    "Compressed Class Space",
  ],
  pool: ["primary", "replica", "reporting"],
  topic: ["orders", "payments", "audit", "inventory-updates", "notifications"],
  partition: ["0", "1", "2", "3", "4", "5"],
  level: ["trace", "debug", "info", "warn", "error"],
  cache: ["users", "sessions", "catalog", "prices"],
  result: ["hit", "miss"],
  exception: ["None", "TimeoutException", "IOException", "IllegalStateException"],
};
const LABEL_KEYS = Object.keys(LABEL_VALUES);
const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function familyPlan(count, rng) {
  const families = [];
  const seen = new Set();
  for (let i = 0; families.length < count; i++) {
    // about 45% counters, 40% gauges, 15% histograms
    const r = rng();
    const type = r < 0.45 ? "counter" : r < 0.85 ? "gauge" : "histogram";
    const subsystem = SUBSYSTEMS[i % SUBSYSTEMS.length];
    const nouns = NOUNS[type];
    const noun = nouns[Math.floor(i / SUBSYSTEMS.length + rng() * nouns.length) % nouns.length];
    let name = `${subsystem}_${noun}`;
    if (seen.has(name)) name = `${subsystem}_${families.length}_${noun}`;
    seen.add(name);
    const keyCount = 1 + Math.floor(rng() * 3);
    const keys = [];
    while (keys.length < keyCount) {
      const key = LABEL_KEYS[Math.floor(rng() * LABEL_KEYS.length)];
      if (!keys.includes(key)) keys.push(key);
    }
    families.push({
      name,
      type,
      help: `${noun.replace(/_/g, " ")} of ${subsystem.replace(/_/g, " ")}.`,
      keys,
    });
  }
  return families;
}

/** The n-th combination of the family's label values (mixed radix), or undefined past the last one. */
function labelSet(family, n) {
  const parts = [];
  let rest = n;
  for (const key of family.keys) {
    const values = LABEL_VALUES[key];
    parts.push(`${key}="${values[rest % values.length]}"`);
    rest = Math.floor(rest / values.length);
  }
  return rest > 0 ? undefined : `application="checkout-service",${parts.join(",")}`;
}

function renderSeries(family, labels, rng) {
  const { name, type } = family;
  if (type === "counter") return `${name}{${labels}} ${Math.floor(rng() * 5e6)}\n`;
  if (type === "gauge") return `${name}{${labels}} ${(rng() * 1000).toFixed(3)}\n`;
  let cumulative = 0;
  let lines = "";
  for (const le of BUCKETS) {
    cumulative += Math.floor(rng() * 400);
    lines += `${name}_bucket{${labels},le="${le}"} ${cumulative}\n`;
  }
  cumulative += Math.floor(rng() * 20);
  lines += `${name}_bucket{${labels},le="+Inf"} ${cumulative}\n`;
  lines += `${name}_sum{${labels}} ${(cumulative * rng() * 0.3).toFixed(6)}\n`;
  lines += `${name}_count{${labels}} ${cumulative}\n`;
  return lines;
}

/**
 * At least `targetBytes` of exposition in `families` metric families: each family starts with one
 * series, then series are added round-robin (more label combinations) until the size is reached.
 */
export function generateExposition({ families, targetBytes, seed = 42 }) {
  const rng = mulberry32(seed);
  const plan = familyPlan(families, rng);
  const bodies = plan.map((f) => ({
    head: `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`,
    series: [renderSeries(f, labelSet(f, 0), rng)],
  }));
  let size = bodies.reduce((n, b) => n + b.head.length + b.series[0].length, 0);
  let idle = 0;
  for (let i = 0; size < targetBytes && idle < plan.length; i = (i + 1) % plan.length) {
    const labels = labelSet(plan[i], bodies[i].series.length);
    if (labels === undefined) {
      idle++;
      continue;
    }
    idle = 0;
    const text = renderSeries(plan[i], labels, rng);
    bodies[i].series.push(text);
    size += text.length;
  }
  const text = bodies.map((b) => b.head + b.series.join("")).join("");
  return { text, families: plan.length, series: bodies.reduce((n, b) => n + b.series.length, 0) };
}
