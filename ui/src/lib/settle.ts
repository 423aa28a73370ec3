import { flushSync } from 'svelte';

/** For component tests: lets pending promises (mocked commands) settle, then flushes
 * Svelte's updates, so assertions see what the user would. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}
