# Promregator image: build with `docker build -t promregator .`, run with
#   docker run -d -m 256m -e CF_PASSWORD=... \
#     -v "$PWD/promregator.yml:/etc/promregator/promregator.yml:ro" -p 127.0.0.1:8080:8080 promregator
# Inside a container the discovery document cannot guess the address Prometheus uses: set
# promregator.discovery.hostname and promregator.discovery.port in the configuration.

# ---- build: compile TypeScript to dist/ ----
FROM node:20-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and dist/ only ----
FROM node:20-slim
ENV NODE_ENV=production
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

# The slim image has no curl; node's own fetch does the probe. SERVER_PORT moves the server, so follow it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SERVER_PORT||process.env.PORT||8080)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown). A watchdog restart request
# (exit code 161) ends the container; let the orchestrator restart it (docker --restart=on-failure, CF).
ENTRYPOINT ["node", "/opt/promregator/dist/cli.js"]
