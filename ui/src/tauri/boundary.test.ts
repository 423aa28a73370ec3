// Only src/tauri/ may import `@tauri-apps/*`: everything else goes through ipc.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|svelte|js)$/.test(name) ? [path] : [];
  });
}

it('imports @tauri-apps only from src/tauri/', () => {
  const offenders = files(SRC)
    .filter((path) => !relative(SRC, path).startsWith('tauri/'))
    .filter((path) => /from\s+['"]@tauri-apps\/|import\(\s*['"]@tauri-apps\//.test(readFileSync(path, 'utf8')));
  expect(offenders.map((path) => relative(SRC, path))).toEqual([]);
});
