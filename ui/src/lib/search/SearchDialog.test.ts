import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { settle } from '../settle';

import type { HubResult, PullProgress, SearchAnswer, TagsAnswer } from '../../tauri/ipc';
import { clearMocks, mockCommands, sendToChannel } from '../../tauri/testing';
import SearchDialog from './SearchDialog.svelte';

const NOW = new Date('2025-06-15T12:00:00Z');

function result(overrides: Partial<HubResult> = {}): HubResult {
  return {
    name: 'nginx',
    namespace: 'library',
    repository: 'nginx',
    publisher: 'Docker',
    badges: ['official'],
    description: 'Official build of Nginx.',
    stars: 20_512,
    pulls: 1_000_000_000,
    updated: '2025-06-14T12:00:00Z',
    ...overrides,
  };
}

const TAGS: TagsAnswer = {
  hostPlatform: 'linux/arm64',
  tags: [
    {
      name: '1.27',
      updated: null,
      fullSize: 70_000_000,
      platforms: [
        { platform: 'linux/amd64', size: 70_000_000 },
        { platform: 'linux/arm64', size: 68_000_000 },
      ],
    },
    { name: 'latest', updated: null, fullSize: 71_000_000, platforms: [{ platform: 'linux/amd64', size: 71_000_000 }] },
  ],
};

let target: HTMLElement;
let component: ReturnType<typeof mount> | undefined;

beforeEach(() => {
  target = document.createElement('div');
  document.body.append(target);
});

afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  target.remove();
  clearMocks();
});


function render(): void {
  component = mount(SearchDialog, { target, props: { onClose: () => {}, debounceMs: 0, now: () => NOW } });
  flushSync();
}

const byTestId = (id: string) => target.querySelector(`[data-testid="${id}"]`);
const allByTestId = (id: string) => [...target.querySelectorAll(`[data-testid="${id}"]`)];

async function typeQuery(text: string): Promise<void> {
  const input = byTestId('search-input') as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await settle();
  await settle();
}

describe('SearchDialog', () => {
  it('renders Docker Hub results as text, a <script> description included', async () => {
    const answer: SearchAnswer = {
      typedReference: null,
      total: 2,
      results: [
        result(),
        result({
          name: 'evil/app',
          namespace: 'evil',
          repository: 'app',
          publisher: '<b>evil</b>',
          badges: ['verifiedPublisher', 'openSource'],
          description: '<script>alert(1)</script><img src=x onerror=alert(1)>',
          stars: null,
          pulls: 1234,
          updated: null,
        }),
      ],
    };
    mockCommands({ search_hub: () => answer });
    render();
    await typeQuery('nginx');
    const rows = allByTestId('search-result');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.querySelector('[data-testid="search-result-name"]')?.textContent).toBe('nginx');
    expect(rows[0]!.textContent).toContain('Docker Official Image');
    expect(rows[0]!.textContent).toContain('by Docker');
    expect(rows[0]!.textContent).toContain('20.5K');
    expect(rows[0]!.textContent).toContain('1B');
    expect(rows[0]!.textContent).toContain('Updated 1 day ago');
    expect(rows[1]!.querySelector('[data-testid="search-result-description"]')?.textContent).toBe(
      '<script>alert(1)</script><img src=x onerror=alert(1)>',
    );
    expect([...rows[1]!.querySelectorAll('[data-testid="search-result-badge"]')].map((b) => b.textContent)).toEqual([
      'Verified Publisher',
      'Sponsored OSS',
    ]);
    expect(target.querySelector('script, img, b')).toBeNull();
  });

  it('sends the badge filters and ignores an answer that a newer query superseded', async () => {
    const seen: unknown[] = [];
    let answerFirst: (a: SearchAnswer) => void = () => {};
    mockCommands({
      search_hub: (args) => {
        seen.push(args);
        const { text } = args as { text: string };
        if (text === 'ngi') return new Promise<SearchAnswer>((resolve) => (answerFirst = resolve));
        return { typedReference: null, total: 1, results: [result()] };
      },
    });
    render();
    await typeQuery('ngi');
    await typeQuery('nginx');
    answerFirst({ typedReference: null, total: 1, results: [result({ name: 'stale' })] });
    await settle();
    expect(allByTestId('search-result-name').map((e) => e.textContent)).toEqual(['nginx']);
    (target.querySelector('input[type="checkbox"]') as HTMLInputElement).click();
    await settle();
    await settle();
    expect(seen.at(-1)).toEqual({ text: 'nginx', badges: ['official'] });
  });

  it('shows a search error with its message, and no error for a cancelled query', async () => {
    let code = 'rateLimited';
    mockCommands({
      search_hub: () => {
        throw { code, message: 'Docker Hub is rate-limiting requests; try again in 42s' };
      },
    });
    render();
    await typeQuery('nginx');
    expect(byTestId('search-error')?.textContent).toContain('try again in 42s');
    code = 'cancelled';
    await typeQuery('nginx2');
    expect(byTestId('search-error')).toBeNull();
  });

  it('lists tags, preselects the host platform, and pulls with live progress', async () => {
    let pullArgs: Record<string, unknown> = {};
    let finish: (value: unknown) => void = () => {};
    mockCommands({
      search_hub: () => ({ typedReference: null, total: 1, results: [result()] }),
      hub_tags: () => TAGS,
      pull_image: (args) => {
        pullArgs = args as Record<string, unknown>;
        return new Promise((resolve) => (finish = resolve));
      },
    });
    render();
    await typeQuery('nginx');
    (byTestId('search-result') as HTMLButtonElement).click();
    await settle();
    // "latest" is chosen first; it has only linux/amd64.
    expect((byTestId('pull-platform') as HTMLSelectElement).value).toBe('linux/amd64');
    (target.querySelector('[data-tag="1.27"]') as HTMLButtonElement).click();
    flushSync();
    expect((byTestId('pull-platform') as HTMLSelectElement).value).toBe('linux/arm64');
    expect(byTestId('tag-platforms')?.textContent).toContain('linux/arm64 (this computer)');
    expect(byTestId('tag-platforms')?.textContent).toContain('68.0 MB');

    (byTestId('pull-button') as HTMLButtonElement).click();
    await settle();
    expect(pullArgs.reference).toBe('docker.io/library/nginx:1.27');
    expect(pullArgs.platform).toBe('linux/arm64');
    const events: PullProgress[] = [
      {
        event: 'resolved',
        reference: 'docker.io/library/nginx:1.27',
        digest: 'sha256:aa',
        platform: 'linux/arm64',
        layers: [
          { digest: 'sha256:111111111111aaaa', size: 1000, mediaType: 'x' },
          { digest: 'sha256:222222222222bbbb', size: 3000, mediaType: 'x' },
        ],
      },
      { event: 'layerExists', digest: 'sha256:111111111111aaaa' },
      { event: 'layerProgress', digest: 'sha256:222222222222bbbb', downloaded: 1000, total: 3000 },
    ];
    for (const event of events) sendToChannel(pullArgs.onEvent, event);
    flushSync();
    expect(byTestId('pull-status')?.textContent).toBe('Pulling… 50%');
    expect(allByTestId('pull-layer-text').map((e) => e.textContent)).toEqual(['Already exists', '1.00 kB / 3.00 kB']);
    expect(byTestId('pull-overall')?.getAttribute('aria-valuenow')).toBe('50');
    expect(byTestId('pull-cancel')).not.toBeNull();

    sendToChannel(pullArgs.onEvent, { event: 'layerVerifying', digest: 'sha256:222222222222bbbb' });
    flushSync();
    expect(allByTestId('pull-layer-text')[1]?.textContent).toBe('Verifying');
    sendToChannel(pullArgs.onEvent, { event: 'layerIndexing', digest: 'sha256:222222222222bbbb' });
    flushSync();
    expect(allByTestId('pull-layer-text')[1]?.textContent).toBe('Indexing files');
    sendToChannel(pullArgs.onEvent, { event: 'layerDone', digest: 'sha256:222222222222bbbb' });
    finish({
      reference: 'docker.io/library/nginx:1.27',
      digest: 'sha256:aa',
      id: 'sha256:bb',
      platform: 'linux/arm64',
      bytesDownloaded: 3000,
      bytesPresent: 1000,
    });
    await settle();
    expect(byTestId('pull-status')?.textContent).toBe('Pulled');
    expect(byTestId('pull-done')?.textContent).toContain('docker.io/library/nginx:1.27');
    expect(byTestId('pull-cancel')).toBeNull();
  });

  it('shows a failed pull with its message and retries it', async () => {
    let calls = 0;
    mockCommands({
      search_hub: () => ({ typedReference: 'docker.io/library/nginx:1.27', total: null, results: [] }),
      pull_image: () => {
        calls += 1;
        throw { code: 'notFound', message: 'docker.io/library/nginx:1.27 was not found on registry docker.io' };
      },
    });
    render();
    await typeQuery('nginx:1.27');
    expect(byTestId('search-typed')?.textContent).toContain('docker.io/library/nginx:1.27');
    (byTestId('search-typed-pull') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('pull-status')?.textContent).toBe('Pull failed');
    expect(byTestId('pull-error-message')?.textContent).toContain('was not found');
    (byTestId('pull-retry') as HTMLButtonElement).click();
    await settle();
    expect(calls).toBe(2);
  });

  it('cancels a running pull by its id', async () => {
    let pullId = '';
    let cancelled = '';
    let reject: (e: unknown) => void = () => {};
    mockCommands({
      search_hub: () => ({ typedReference: 'docker.io/library/nginx:1.27', total: null, results: [] }),
      pull_image: (args) => {
        pullId = (args as { pullId: string }).pullId;
        return new Promise((_, r) => (reject = r));
      },
      cancel_pull: (args) => {
        cancelled = (args as { pullId: string }).pullId;
        reject({ code: 'cancelled', message: 'The pull was cancelled.' });
        return null;
      },
    });
    render();
    await typeQuery('nginx:1.27');
    (byTestId('search-typed-pull') as HTMLButtonElement).click();
    await settle();
    (byTestId('pull-cancel') as HTMLButtonElement).click();
    await settle();
    expect(cancelled).toBe(pullId);
    expect(byTestId('pull-status')?.textContent).toBe('Cancelled');
    expect(byTestId('pull-error')).toBeNull();
  });
});
