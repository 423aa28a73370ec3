import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  // TypeScript in <script lang="ts">.
  preprocess: vitePreprocess(),
  compilerOptions: {
    // CSS goes to a .css file (a strict CSP forbids inline <style>).
    css: 'external',
  },
};
