# Dockerfile: build the bundle with npm ci + esbuild, run it on a slim Node 20 image as a non-root user.
#
#   docker build -t tskv .
#   docker run -d --name tskv -p 7379:7379 -v tskv-data:/data tskv --requirepass 'a long secret'
#   docker run -d --name tskv -p 7379:7379 -v tskv-data:/data tskv --protected-mode no   # trusted networks only
#   docker run -d -p 7379:7379 -v tskv-data:/data -v "$PWD/conf":/etc/tskv tskv      # your tskv.conf
#
# Inside a container the server binds every interface (clients come over Docker's bridge, not
# loopback), so protected mode refuses them until a password is set or protected mode is turned off
# explicitly. ENTRYPOINT holds the flags every container needs (--bind 0.0.0.0 --dir /data); CMD
# names the config file, /etc/tskv/tskv.conf (this repository's tskv.conf: every setting at its
# default, bind and dir overridden by those flags). Words after the image name replace CMD: flags
# alone run without the file (same defaults), `/etc/tskv/tskv.conf --flag value` keeps it. Flags
# override the file wherever they stand; a later flag overrides an earlier one. Mount a directory
# at /etc/tskv (not a single file) so CONFIG REWRITE can replace the file there. The HEALTHCHECK
# PINGs the port the server was started with (dist/healthcheck.js reads PID 1's arguments and
# file), so a port set in the file or by a flag is the one checked; publish that port with -p.
# `docker stop` sends SIGTERM: tskv syncs the WAL, flushes the memtable and exits 0 within Docker's 10 s.
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
# freed buffers of 64 KiB and more go back to the kernel at once (glibc raises its mmap threshold
# as big buffers are freed, then keeps their memory in its heap: ~80 MiB of RSS after 1M SETs)
ENV NODE_ENV=production MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data /etc/tskv && chown node:node /data /etc/tskv
COPY --chown=node:node tskv.conf /etc/tskv/tskv.conf
USER node
VOLUME /data
EXPOSE 7379
STOPSIGNAL SIGTERM
# PING over loopback (never refused by protected mode) on the configured port; -NOAUTH also proves the server answers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "dist/healthcheck.js"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/tskv.js", "--bind", "0.0.0.0", "--dir", "/data"]
CMD ["/etc/tskv/tskv.conf"]
