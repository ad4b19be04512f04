# Dockerfile: build the bundle with npm ci + esbuild, run it on a slim Node 20 image as a non-root user.
#
#   docker build -t tskv .
#   docker run -d --name tskv -p 7379:7379 -v tskv-data:/data tskv --requirepass 'a long secret'
#   docker run -d --name tskv -p 7379:7379 -v tskv-data:/data tskv --protected-mode no   # trusted networks only
#
# Inside a container the server binds every interface (clients come over Docker's bridge, not
# loopback), so protected mode refuses them until a password is set or protected mode is turned off
# explicitly. Words after the image name replace CMD and follow ENTRYPOINT, whose flags every
# container needs; a later flag overrides an earlier one. `docker stop` sends SIGTERM: tskv syncs
# the WAL, flushes the memtable and exits 0 within Docker's 10 s.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY build.mjs tsconfig.json ./
COPY src ./src
COPY protocol ./protocol
COPY storage ./storage
RUN node build.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY tskv.conf ./tskv.conf
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 7379
STOPSIGNAL SIGTERM
# PING over loopback (never refused by protected mode); -NOAUTH also proves the server answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const s=require('net').connect(7379,'127.0.0.1',()=>s.write('PING\\r\\n'));s.on('data',d=>process.exit(/^(\\+PONG|-NOAUTH)/.test(String(d))?0:1));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),2000)"]
ENTRYPOINT ["node", "dist/tskv.js", "--bind", "0.0.0.0", "--port", "7379", "--dir", "/data"]
CMD ["--appendfsync", "always", "--protected-mode", "yes"]
