# Promregator image: build with `docker build -t promregator .`, run with
#   docker run -d -m 256m -e CF_PASSWORD=... \
#     -v "$PWD/promregator.yml:/etc/promregator/promregator.yml:ro" -p 127.0.0.1:8080:8080 promregator
# Inside a container the discovery document cannot guess the address Prometheus uses: set
# promregator.discovery.hostname and promregator.discovery.port in the configuration.

# Node 24, the current LTS, pinned to one release so that a rebuild gives the same runtime; raise it deliberately
# (the tests check that both stages use it and that it is a major the README lists as tested).
ARG NODE_VERSION=24.21.0

# ---- build: compile TypeScript to dist/ ----
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and dist/ only ----
FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
# The heap limits the memory figures of docs/performance.md were measured with (10,000 instances under 150 MB RSS).
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=2"
# glibc's allocator: at most two arenas (not eight per core) and blocks of 128 KiB or more mapped and given back
# on free, a fixed threshold instead of one that grows; 18-24 MB less resident memory at 10,000 instances on
# Node 24 in four of five paired runs (docs/performance.md, "glibc's allocator on Node 24"). glibc reads them
# only at start, so they cannot be set in code.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
# Same user and group id as the image of the Java version, so existing volume permissions keep working.
RUN groupadd --gid 2000 promregator \
  && useradd --uid 2000 --gid promregator --home-dir /home/promregator --create-home \
     --shell /usr/sbin/nologin promregator \
  && chmod 0700 /home/promregator \
  && mkdir -p /etc/promregator \
  && chown root:promregator /etc/promregator \
  && chmod 0750 /etc/promregator

WORKDIR /opt/promregator
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/dist ./dist

USER promregator
WORKDIR /home/promregator
# The CLI reads /etc/promregator/promregator.yml unless --config or PROMREGATOR_CONFIG say otherwise;
# ENCRYPT_KEY_FILE names a file under /run/secrets, as with the Java image.
EXPOSE 8080

# The same configuration as the server (server.port, PORT, server.address, server.tls) tells the probe where to
# knock; it exits 0 when /health answers 2xx, else 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/opt/promregator/dist/cli.js", "healthcheck", "--timeout", "4"]

# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown). A watchdog restart request
# (exit code 161) ends the container; let the orchestrator restart it (docker --restart=on-failure, CF).
# --initial-old-space-size (refused in NODE_OPTIONS) keeps V8 from a full collection every few large scrapes
# (docs/performance.md, "A floor for the old generation").
ENTRYPOINT ["node", "--initial-old-space-size=32", "/opt/promregator/dist/cli.js"]
