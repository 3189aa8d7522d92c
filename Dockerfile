# The Baton API server. Built from source: `npm run build` compiles TypeScript to dist/.
# At run time Baton reads supabase/migrations and libs/definitions/examples from the
# source tree, so both stay in the image next to dist/.
FROM node:20

WORKDIR /app

# Dependencies first, so they are cached while only the source changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000

EXPOSE 3000

# HOST=0.0.0.0 is not loopback, so Baton starts only with auth on: pass
# BATON_BOOTSTRAP_TOKEN (>= 24 characters), or create a token in the database beforehand.
# Without DATABASE_URL Baton would use embedded PGlite in /app/.baton; mount a volume there
# if you run the image that way.
CMD ["node", "dist/apps/api/src/main.js"]
