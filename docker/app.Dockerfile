# One image recipe for every app: docker build --build-arg APP=<project> -f docker/app.Dockerfile .
# Stage 1 builds with Nx; stage 2 keeps the built app and production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
ARG APP
RUN npx nx run ${APP}:build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ARG APP
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=build --chown=node:node /src/package.json ./
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/dist/apps/${APP} ./dist
USER node
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
