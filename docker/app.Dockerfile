# One image for every app: the gateway, the four services and the CLI (which also prepares a
# deployment). The app is chosen by the command (`gateway`, `user-service`, ..., `cli ...`)
# or by APP. Stage 1 builds with Nx; stage 2 keeps the built apps and production
# dependencies only, and runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npx nx run-many -t build --projects=gateway,user-service,order-service,payment-service,notification-service,cli \
  && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY docker/launch.cjs ./launch.cjs
# The default route table and the schemas it names; mount another file here, or set ROUTES_FILE.
COPY config/routes.yaml config/routes.schema.json ./config/
COPY config/schemas ./config/schemas/
# Mount points of the deployment's volumes, owned by `node` so that a new volume is too.
RUN mkdir -p /var/lib/mqgw/state /var/lib/mqgw/secrets \
    /var/lib/mqgw/out/gateway /var/lib/mqgw/out/cli /var/lib/mqgw/out/broker /var/lib/mqgw/out/redis \
    /var/lib/mqgw/out/user-service /var/lib/mqgw/out/order-service \
    /var/lib/mqgw/out/payment-service /var/lib/mqgw/out/notification-service \
  && chown -R node:node /var/lib/mqgw
USER node
ENTRYPOINT ["node", "/app/launch.cjs"]
CMD ["gateway"]
