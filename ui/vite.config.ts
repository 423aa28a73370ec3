import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri loads the built files from ui/dist (tauri.conf.json `frontendDist`) and, in
// development, the dev server on a fixed port (`devUrl`).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: 'localhost',
  },
  build: {
    // WebKitGTK 2.4x and recent WebView2/WKWebView all handle ES2022.
    target: 'es2022',
    // No `data:` URLs for assets: everything is a file, which the CSP allows ('self').
    assetsInlineLimit: 0,
  },
  // Mount components in tests with Svelte's browser runtime, not its server one.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
