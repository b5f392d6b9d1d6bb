# syntax=docker/dockerfile:1
#
# One image for the five deployed services; the chart (charts/t2mobile-fulfilment)
# chooses each Deployment's entry point:
#   node --import @t2m/platform/telemetry-register services/<name>/dist/main.js
# zoho-sandbox, webhook-inbox and the devstack are local tools and are not in it.
#
# NOT BUILT: the machines this repository is developed and tested on have no
# Docker engine, so this file has never been built as an image. Its npm and
# build steps were run by hand in a plain directory with Node 24.
#
# No secrets are baked in: credentials come only from the environment at run
# time (a Kubernetes Secret in the cluster). Build from the repository root:
#   docker build -t registry.example.com/icontech/t2mobile-fulfilment:<tag> .

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency, then compile all workspaces (tsc -b)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true
# Manifests first, so the dependency layer is cached until they change.
# npm needs every workspace of package.json to exist.
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY services/platform/package.json services/platform/
COPY services/topology/package.json services/topology/
COPY services/catalogue/package.json services/catalogue/
COPY services/fulfilment/package.json services/fulfilment/
COPY services/provisioning/package.json services/provisioning/
COPY services/notification/package.json services/notification/
COPY services/gateway/package.json services/gateway/
COPY services/zoho-sandbox/package.json services/zoho-sandbox/
COPY services/webhook-inbox/package.json services/webhook-inbox/
COPY services/devstack/package.json services/devstack/
COPY services/cli/package.json services/cli/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY proto proto
COPY services services
COPY test test
RUN npm run build \
 && find proto/dist services/*/dist -name '*.test.*' -delete

# ---- deps: production dependencies of the deployed workspaces only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV CI=true
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/proto/package.json proto/
COPY --from=build /app/services/platform/package.json services/platform/
COPY --from=build /app/services/topology/package.json services/topology/
COPY --from=build /app/services/catalogue/package.json services/catalogue/
COPY --from=build /app/services/fulfilment/package.json services/fulfilment/
COPY --from=build /app/services/provisioning/package.json services/provisioning/
COPY --from=build /app/services/notification/package.json services/notification/
COPY --from=build /app/services/gateway/package.json services/gateway/
COPY --from=build /app/services/zoho-sandbox/package.json services/zoho-sandbox/
COPY --from=build /app/services/webhook-inbox/package.json services/webhook-inbox/
COPY --from=build /app/services/devstack/package.json services/devstack/
COPY --from=build /app/services/cli/package.json services/cli/
COPY --from=build /app/test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund --include-workspace-root=false \
      --workspace proto --workspace services/platform --workspace services/topology \
      --workspace services/gateway --workspace services/catalogue --workspace services/fulfilment \
      --workspace services/provisioning --workspace services/notification

# ---- runtime: node, the production node_modules and the compiled services; owned by root, run as uid 1000
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/proto/package.json proto/
COPY --from=build /app/proto/dist proto/dist
COPY --from=build /app/services/platform/package.json services/platform/
COPY --from=build /app/services/platform/dist services/platform/dist
COPY --from=build /app/services/topology/package.json services/topology/
COPY --from=build /app/services/topology/dist services/topology/dist
COPY --from=build /app/services/gateway/package.json services/gateway/
COPY --from=build /app/services/gateway/dist services/gateway/dist
COPY --from=build /app/services/catalogue/package.json services/catalogue/
COPY --from=build /app/services/catalogue/dist services/catalogue/dist
COPY --from=build /app/services/catalogue/data services/catalogue/data
COPY --from=build /app/services/fulfilment/package.json services/fulfilment/
COPY --from=build /app/services/fulfilment/dist services/fulfilment/dist
COPY --from=build /app/services/provisioning/package.json services/provisioning/
COPY --from=build /app/services/provisioning/dist services/provisioning/dist
COPY --from=build /app/services/notification/package.json services/notification/
COPY --from=build /app/services/notification/dist services/notification/dist
# The node image's unprivileged "node" user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 4000 4101 4102 4103 4104
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=256", "--import", "@t2m/platform/telemetry-register", "services/gateway/dist/main.js"]
