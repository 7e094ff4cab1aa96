# The service image, for users' machines: `docker build -t stripe-subscriptions .` or `docker compose up --build`.
# test/deployment.system-spec.ts builds the runtime stage's file tree without Docker and starts the service from it.

# Node 22 LTS: Node 20, on which the test suite runs, is past its upstream end of life (README, Quick start).
ARG NODE_IMAGE=node:22-bookworm-slim

# Build stage: every dependency, the Prisma client generated, TypeScript compiled into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts, deliberately: the project's postinstall (scripts/prisma-generate.mjs) is not in the image yet, and
# no dependency needs its install script (@prisma/engines' would download native engines the build never uses).
# `npm run build` generates the Prisma client itself.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: production dependencies only, the compiled service, and the migrations it applies at start-up
# (MIGRATE_ON_START=true, the default, with Prisma's WebAssembly schema engine: a production dependency).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts, deliberately: the Prisma client is compiled into dist/, so the postinstall has nothing to generate,
# and no production dependency needs an install script (swagger-ui's @scarf/scarf would only send telemetry).
# --omit=optional: the only optional packages are @prisma/client's optional peers (the prisma CLI and typescript, with
# Prisma Studio, React and a MySQL driver: half of node_modules) and pg-cloudflare; the service needs none of them.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
# The application files stay root-owned (read-only to the service); only the embedded database folder (PGlite, used
# when DATABASE_URL is unset) is writable.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 3000
# Liveness only (GET /health never queries the database); the slim image has no curl, node has fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# A 64 MB young generation (Node 20's default is 16 MB): the portal's per-request garbage is collected in far fewer
# scavenges (measured on Node 20, the service alone: 22-25 -> 5 us of GC pause per portal request, bench/README.md).
CMD ["node", "--max-semi-space-size=64", "dist/apps/api/src/main.js"]
