# Modelport ONNX Runtime serving plugin (runtime-onnx), run in remote mode: it listens on TCP and
# registers with the core's plugin registry. Build from the repository root:
#   docker build -f docker/runtime-onnx.Dockerfile -t modelport/runtime-onnx .
# Same build as the server image (docker/Dockerfile): npm ci over the workspaces, swc build into dist/.
FROM node:20-bookworm-slim AS build
# onnxruntime-node's install script would download CUDA libraries; the CPU binaries ship in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/server/package.json apps/server/
COPY libs libs
COPY tools tools
COPY plugins plugins
RUN npm ci --no-audit --no-fund
COPY . .
RUN node tools/scripts/build.cjs

# glibc (bookworm), not Alpine: the onnxruntime-node binaries need it.
FROM node:20-bookworm-slim
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip MODELPORT_PLUGIN_LISTEN=0.0.0.0:9100
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/apps/server/package.json apps/server/
COPY --from=build /src/libs libs
COPY --from=build /src/tools tools
COPY --from=build /src/plugins plugins
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The SDK loads the .proto files at run time (libs/proto finds proto/ above dist/).
COPY --from=build /src/proto proto
COPY --from=build /src/dist dist
USER node
EXPOSE 9100
HEALTHCHECK --interval=10s --timeout=5s CMD ["node", "dist/plugins/runtime-onnx/src/health-check.js"]
CMD ["node", "dist/plugins/runtime-onnx/src/main.js"]
