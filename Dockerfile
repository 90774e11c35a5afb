# realname: `docker build -t realname .` (BASE_IMAGE: any Debian-based image with Node 24 and npm).
# Where npm reaches the registry only through a proxy with its own CA, hand that CA to the npm
# stages alone, as a build secret (BuildKit); the final image never holds it:
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt .
ARG BASE_IMAGE=node:24-bookworm-slim

# The service's production dependencies only (not the client's or the pages' workspaces).
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm_config_cafile=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev --workspaces=false --ignore-scripts --no-audit --no-fund && npm cache clean --force

# `npm run build`: the service (tsc into dist/, then bundled into dist/bundle/), the typed client, and the pages (Vite into web/dist/).
FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
COPY web/package.json ./web/
RUN --mount=type=secret,id=npm_ca,required=false \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm_config_cafile=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json schema.graphql ./
COPY src ./src
COPY scripts ./scripts
COPY packages/client ./packages/client
COPY web ./web
RUN npm run build

FROM ${BASE_IMAGE}
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY drizzle ./drizzle
USER node
EXPOSE 4000
# The slim image has no curl: node asks /healthz (liveness; balancers ask /readyz).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself (the service drains, then exits 0). A 4 MB
# semi-space, as `npm start`: V8's default young generation let bursts grow the heap, and RSS with
# it, for good (bench/NOTES.md).
CMD ["node", "--max-semi-space-size=4", "dist/bundle/main.js"]
