# uns-bridge: build with the dev toolchain, run the compiled JavaScript on a slim Node 20.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A container must listen on all interfaces to be reachable through published ports. uns-bridge then
# refuses to start (exit 2) unless security.users/tokens are configured or UNS_SECURITY_ANONYMOUS=true
# is set on purpose: an image is never open to the network by accident.
ENV UNS_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY namespace ./namespace
COPY web ./web
USER node
EXPOSE 1883 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/main.js"]
