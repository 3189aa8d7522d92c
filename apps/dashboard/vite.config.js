// Builds the operator dashboard into dist/dashboard, served by the API at /dashboard.
// JSX goes through Vite's own transform (Oxc, automatic runtime): @vitejs/plugin-react
// adds only Fast Refresh, and its peer dependencies do not resolve with this Vite.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: false } },
  // React's production build even when the caller's NODE_ENV says otherwise (jest sets "test").
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      // React Flow marks itself "use client" for server-component bundlers; meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
