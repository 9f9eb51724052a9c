import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { testTimeScale } from './src/test/timeScale';

// Test timeouts bound a hung test; they scale with the machine's load like every test wait.
const timeScale = testTimeScale();

// The API serves dist/ itself: it caches /assets/* forever and index.html never, so every asset
// name must carry a content hash (Vite's default under assets/) and index.html must stay at the root.
export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    proxy: {
      // Same-origin in production; in dev the API runs beside Vite.
      '/v1': { target: 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20_000 * timeScale,
    hookTimeout: 20_000 * timeScale,
    env: { CS_TEST_TIME_SCALE: String(timeScale) }, // the same factor in every worker
  },
});
