import { afterEach, describe, expect, it } from 'vitest';

import { settle } from '../settle';
import { clearMocks, mockCommands } from '../../tauri/testing';
import { pulls, repullOutcome, retry, startPull } from './pulls.svelte';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

afterEach(() => {
  clearMocks();
  pulls.length = 0;
});

describe('pull again', () => {
  function answering(found: string): { asked: unknown[] } {
    const asked: unknown[] = [];
    mockCommands({
      pull_image: (args) => {
        asked.push(args);
        const { reference } = args as { reference: string };
        return { reference, digest: found, id: 'sha256:x', platform: 'linux/amd64', bytesDownloaded: 0, bytesPresent: 1 };
      },
    });
    return { asked };
  }

  it('tells an unchanged digest (up to date) from a new one (newer)', async () => {
    answering(digest('a'));
    const same = startPull('docker.io/library/nginx:latest', 'linux/amd64', digest('a'));
    const changed = startPull('docker.io/library/nginx:latest', 'linux/amd64', digest('b'));
    const first = startPull('docker.io/library/nginx:latest', null);
    expect(repullOutcome(same)).toBeNull(); // still running
    await settle();
    expect(repullOutcome(same)).toBe('upToDate');
    expect(repullOutcome(changed)).toBe('newer');
    expect(repullOutcome(first)).toBeNull(); // a first pull is neither
  });

  it('retries with the same reference, platform and previous digest', async () => {
    const { asked } = answering(digest('a'));
    const pull = startPull('ghcr.io/o/app:1', 'linux/arm64', digest('a'));
    await settle();
    const again = retry(pull);
    await settle();
    expect(again.previousDigest).toBe(digest('a'));
    expect(asked.map((a) => (a as { platform: string }).platform)).toEqual(['linux/arm64', 'linux/arm64']);
    expect(repullOutcome(again)).toBe('upToDate');
  });
});
