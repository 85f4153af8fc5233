# The same steps CI runs: npm ci, then start. Current Node LTS.
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    HOST=0.0.0.0

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json ./
COPY src ./src
COPY drizzle ./drizzle
COPY flows ./flows
COPY templates ./templates
COPY prompts ./prompts
COPY seed ./seed
COPY web ./web

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# SIGTERM is handled: no new requests, in-flight turns and sends finish, then exit.
CMD ["npm", "start"]
