# syntax=docker/dockerfile:1
# m365-flow-classifier: the service in a container (docs/operations.md).
#   docker build -t m365fc .
#   docker run -p 8365:8365 -v m365fc-state:/var/lib/m365fc m365fc
# Follows Microsoft's web service by default (state in the volume); `serve --offline` serves the
# embedded data and touches no network.

# 1. Build: the TypeScript compiler and the dev dependencies, then dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY plugin-api ./plugin-api
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Run: the built code, its runtime dependencies and data, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    M365FC_HOST=0.0.0.0 \
    M365FC_PORT=8365 \
    M365FC_STATE_DIR=/var/lib/m365fc
RUN groupadd --system --gid 10001 m365fc \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/m365fc --no-create-home --shell /usr/sbin/nologin m365fc \
 && mkdir -p /var/lib/m365fc \
 && chown 10001:10001 /var/lib/m365fc \
 && chmod 0750 /var/lib/m365fc
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY data ./data
USER 10001:10001
# The installation's clientrequestid, last-known-good data and updater status.
VOLUME ["/var/lib/m365fc"]
EXPOSE 8365
# Liveness as the Kubernetes probe asks it; node's own fetch, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.M365FC_PORT||8365)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
