import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';

import type { ImageRow } from '../../tauri/ipc';
import { emitEvent, mockCommands, sendToChannel } from '../../tauri/testing';
import { pulls } from '../pull/pulls.svelte';
import ImagesView from './ImagesView.svelte';

const NOW = new Date('2025-06-15T12:00:00Z');

function image(overrides: Partial<ImageRow> = {}): ImageRow {
  return {
    reference: 'docker.io/library/nginx:latest',
    repository: 'docker.io/library/nginx',
    tag: 'latest',
    id: `sha256:${'ab12cd34ef56'.padEnd(64, '0')}`,
    shortId: 'ab12cd34ef56',
    digest: `sha256:${'1'.repeat(64)}`,
    created: '2025-06-12T12:00:00Z',
    size: 74_812_345,
    platform: 'linux/amd64',
    indexDigest: null,
    problem: null,
    ...overrides,
  };
}

const dom = componentFixture();
const { byTestId, allByTestId } = dom;


function render(): void {
  dom.mount(ImagesView, { now: () => NOW });
  flushSync();
}

const text = (id: string) => byTestId(id)?.textContent?.trim();

describe('ImagesView', () => {
  it('shows a loading state until the list arrives', async () => {
    let answer: (rows: ImageRow[]) => void = () => {};
    mockCommands({ list_images: () => new Promise<ImageRow[]>((resolve) => (answer = resolve)) });
    render();
    expect(byTestId('images-loading')?.getAttribute('role')).toBe('status');
    answer([]);
    await settle();
    expect(byTestId('images-loading')).toBeNull();
  });

  it('renders one row per image, newest first, with formatted cells', async () => {
    mockCommands({
      list_images: () => [
        image(),
        image({
          reference: 'ghcr.io/owner/tool:2.1',
          repository: 'ghcr.io/owner/tool',
          tag: '2.1',
          shortId: '99887766aabb',
          digest: `sha256:${'2'.repeat(64)}`,
          created: '2025-06-15T09:00:00Z',
          size: 1_050_000_000,
          platform: 'linux/arm64/v8',
        }),
      ],
    });
    render();
    await settle();

    const rows = allByTestId('image-row');
    expect(rows).toHaveLength(2);
    const cells = (row: Element, id: string) => row.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
    const [first, second] = rows as [Element, Element];
    expect(cells(first, 'image-name')).toBe('ghcr.io/owner/tool');
    expect(cells(first, 'image-created')).toBe('3 hours ago');
    expect(cells(first, 'image-size')).toBe('1.05 GB');
    expect(cells(first, 'image-platform')).toBe('linux/arm64/v8');
    expect(cells(second, 'image-name')).toBe('nginx');
    expect(cells(second, 'image-tag')).toBe('latest');
    expect(cells(second, 'image-id')).toBe('ab12cd34ef56');
    expect(cells(second, 'image-created')).toBe('3 days ago');
    expect(cells(second, 'image-size')).toBe('74.8 MB');
    expect(cells(second, 'image-platform')).toBe('linux/amd64');

    expect(text('images-count')).toBe('2 images');
    expect(text('images-total-size')).toBe('1.12 GB total');
  });

  it('counts an image under two tags once in the total size', async () => {
    mockCommands({
      list_images: () => [image(), image({ reference: 'docker.io/library/nginx:1.27', tag: '1.27' })],
    });
    render();
    await settle();
    expect(text('images-count')).toBe('2 images');
    expect(text('images-total-size')).toBe('74.8 MB total');
  });

  it('shows what garbage collection would free, when the store can tell', async () => {
    mockCommands({
      list_images: () => [image()],
      store_usage: () => ({ reclaimableBytes: 52_428_800, reclaimableBlobs: 3 }),
    });
    render();
    await settle();
    expect(text('images-reclaimable')).toBe('52.4 MB reclaimable');
  });

  it('leaves the reclaimable figure out when nothing is reclaimable or it is unknown', async () => {
    mockCommands({
      list_images: () => [image()],
      store_usage: () => ({ reclaimableBytes: 0, reclaimableBlobs: 0 }),
    });
    render();
    await settle();
    expect(document.querySelector('[data-testid=images-reclaimable]')).toBeNull();
    expect(text('images-count')).toBe('1 image');
  });

  it('shows dangling images and unknown fields as such', async () => {
    mockCommands({
      list_images: () => [image({ reference: null, repository: null, tag: null, created: null, platform: null })],
    });
    render();
    await settle();
    const row = allByTestId('image-row')[0]!;
    expect(row.querySelector('[data-testid="image-name"]')?.textContent?.trim()).toBe('<none>');
    expect(row.querySelector('[data-testid="image-tag"]')?.textContent?.trim()).toBe('<none>');
    expect(row.querySelector('[data-testid="image-created"]')?.textContent?.trim()).toBe('Unknown');
  });

  it('marks an image the store cannot fully read', async () => {
    const problem = 'blob sha256:1234 is missing from the store; pull the image again';
    mockCommands({ list_images: () => [image({ problem })] });
    render();
    await settle();
    const badge = byTestId('image-problem') as HTMLElement;
    expect(badge.textContent).toBe(`Damaged: ${problem}`);
    expect(badge.title).toBe(problem);
  });

  it('shows the empty state when the store has no images, and refreshes from it', async () => {
    let rows: ImageRow[] = [];
    mockCommands({ list_images: () => rows });
    render();
    await settle();
    expect(byTestId('images-empty')?.textContent).toContain('No images yet');
    expect(byTestId('images-empty-drop')?.textContent).toContain('Drop a docker save or podman save archive');
    expect(byTestId('images-table')).toBeNull();

    rows = [image()];
    (byTestId('images-empty-refresh') as HTMLButtonElement).click();
    await settle();
    expect(byTestId('images-empty')).toBeNull();
    expect(allByTestId('image-row')).toHaveLength(1);
  });

  it('shows the error message and retries', async () => {
    let calls = 0;
    mockCommands({
      list_images: () => {
        calls += 1;
        if (calls === 1) throw { code: 'internal', message: 'cannot read the store at /nowhere: permission denied' };
        return [image()];
      },
    });
    render();
    await settle();
    expect(byTestId('images-error')?.getAttribute('role')).toBe('alert');
    expect(text('images-error-message')).toBe('cannot read the store at /nowhere: permission denied');

    (byTestId('images-retry') as HTMLButtonElement).click();
    await settle();
    expect(calls).toBe(2);
    expect(byTestId('images-error')).toBeNull();
    expect(allByTestId('image-row')).toHaveLength(1);
  });

  it('turns a rejection that is not an IpcError into an internal one', async () => {
    mockCommands({});
    render();
    await settle();
    expect(text('images-error-message')).toContain('list_images');
  });

  it('renders names from the store as text, never as HTML', async () => {
    const hostile = '<script>alert(1)</script>';
    mockCommands({
      list_images: () => [
        image({ repository: `ghcr.io/${hostile}`, reference: `ghcr.io/${hostile}:x`, tag: '<b>bold</b>' }),
      ],
    });
    render();
    await settle();
    const row = allByTestId('image-row')[0]!;
    expect(row.querySelector('[data-testid="image-name"]')?.textContent?.trim()).toBe(`ghcr.io/${hostile}`);
    expect(row.querySelector('[data-testid="image-tag"]')?.textContent?.trim()).toBe('<b>bold</b>');
    expect(dom.target.querySelector('script')).toBeNull();
    expect(dom.target.querySelector('b')).toBeNull();
  });

  it('opens the search from the header and from the empty state', async () => {
    mockCommands({ list_images: () => [] });
    let opened = 0;
    dom.mount(ImagesView, { now: () => NOW, onSearch: () => (opened += 1) });
    await settle();
    (byTestId('images-search') as HTMLButtonElement).click();
    (byTestId('images-empty-search') as HTMLButtonElement).click();
    expect(opened).toBe(2);
  });

  it('opens an image when its row is clicked', async () => {
    mockCommands({ list_images: () => [image()] });
    const opened: ImageRow[] = [];
    dom.mount(ImagesView, { now: () => NOW, onOpen: (i: ImageRow) => opened.push(i) });
    await settle();
    (allByTestId('image-row')[0] as HTMLElement).click();
    (byTestId('image-open') as HTMLButtonElement).click();
    expect(opened.map((i) => i.tag)).toEqual(['latest', 'latest']);
  });

  it('reloads when the store changes', async () => {
    let rows = [image()];
    mockCommands({ list_images: () => rows });
    render();
    await settle();
    expect(allByTestId('image-row')).toHaveLength(1);
    rows = [image(), image({ tag: '1.27', digest: `sha256:${'2'.repeat(64)}` })];
    await emitEvent('store-changed');
    await settle();
    expect(allByTestId('image-row')).toHaveLength(2);
  });

  describe('sorting, filtering and deleting', () => {
    const named = (name: string, c: string, overrides: Partial<ImageRow> = {}) =>
      image({
        reference: `docker.io/library/${name}:latest`,
        repository: `docker.io/library/${name}`,
        shortId: c.repeat(12),
        id: `sha256:${c.repeat(64)}`,
        digest: `sha256:${c.repeat(64)}`,
        ...overrides,
      });
    const rows = () => [
      named('alpha', 'a', { size: 300, created: '2025-06-01T00:00:00Z' }),
      named('bravo', 'b', { size: 100, created: '2025-06-14T00:00:00Z' }),
      image({ reference: null, repository: null, tag: null, shortId: 'cccccccccccc', id: `sha256:${'c'.repeat(64)}`, digest: `sha256:${'c'.repeat(64)}`, size: 200, created: null }),
    ];
    const shownNames = () => allByTestId('image-name').map((cell) => cell.textContent?.trim());
    const header = (key: string) => byTestId(`sort-${key}`) as HTMLElement;
    const type = (value: string) => {
      const input = byTestId('images-filter') as HTMLInputElement;
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      flushSync();
    };

    it('sorts by a column header, reverses on a second click, and says so with aria-sort', async () => {
      mockCommands({ list_images: rows });
      render();
      await settle();
      expect(header('created').getAttribute('aria-sort')).toBe('descending');
      expect(shownNames()).toEqual(['bravo', 'alpha', '<none>']);

      (header('size').querySelector('button') as HTMLButtonElement).click();
      flushSync();
      expect(header('size').getAttribute('aria-sort')).toBe('descending');
      expect(header('created').hasAttribute('aria-sort')).toBe(false);
      expect(shownNames()).toEqual(['alpha', '<none>', 'bravo']);

      (header('size').querySelector('button') as HTMLButtonElement).click();
      flushSync();
      expect(header('size').getAttribute('aria-sort')).toBe('ascending');
      expect(shownNames()).toEqual(['bravo', '<none>', 'alpha']);

      (header('name').querySelector('button') as HTMLButtonElement).click();
      flushSync();
      expect(shownNames()).toEqual(['alpha', 'bravo', '<none>']);
    });

    it('filters by name, tag or ID, and shows only dangling images when asked', async () => {
      mockCommands({ list_images: rows });
      render();
      await settle();
      type('BRAV');
      expect(shownNames()).toEqual(['bravo']);
      type('cccc');
      expect(shownNames()).toEqual(['<none>']);
      type('zzz');
      expect(shownNames()).toEqual([]);
      expect(text('images-no-match')).toContain('“zzz”');
      type('');
      (byTestId('images-dangling') as HTMLInputElement).click();
      flushSync();
      expect(shownNames()).toEqual(['<none>']);
      // The summary still describes the whole store.
      expect(text('images-count')).toBe('3 images');
    });

    it('shows when the list was read', async () => {
      mockCommands({ list_images: rows });
      render();
      await settle();
      expect(byTestId('images-refreshed')?.querySelector('time')?.getAttribute('datetime')).toBe(NOW.toISOString());
    });

    it('compares two chosen images, the newer against the older', async () => {
      const compared: string[][] = [];
      mockCommands({ list_images: rows });
      dom.mount(ImagesView, {
        now: () => NOW,
        onCompare: (target: ImageRow, base: ImageRow) => compared.push([target.reference ?? '', base.reference ?? '']),
      });
      await settle();
      const compare = byTestId('images-compare-selected') as HTMLButtonElement;
      expect(compare.disabled).toBe(true);
      const boxes = () => allByTestId('image-select') as HTMLInputElement[];
      const nameOf = (box: HTMLInputElement) =>
        box.closest('[data-testid=image-row]')?.querySelector('[data-testid=image-name]')?.textContent?.trim();
      boxes().find((b) => nameOf(b) === 'alpha')!.click();
      flushSync();
      expect(compare.disabled).toBe(true);
      boxes().find((b) => nameOf(b) === 'bravo')!.click();
      flushSync();
      expect(compare.disabled).toBe(false);
      expect(compare.title).toContain('from docker.io/library/alpha:latest to docker.io/library/bravo:latest');
      compare.click();
      // bravo was built after alpha: it is the target.
      expect(compared).toEqual([['docker.io/library/bravo:latest', 'docker.io/library/alpha:latest']]);
      // A third choice: two images only.
      boxes().find((b) => !b.checked)!.click();
      flushSync();
      expect(compare.disabled).toBe(true);
    });

    it('selects all shown rows, confirms with the list of what goes, deletes and refreshes', async () => {
      let store = rows();
      const asked: string[][] = [];
      mockCommands({
        list_images: () => store,
        remove_images: (args) => {
          const { digests } = args as { digests: string[] };
          asked.push(digests);
          const removed = store.filter((r) => digests.includes(r.digest));
          store = store.filter((r) => !digests.includes(r.digest));
          return { removed, failed: [] };
        },
      });
      render();
      await settle();
      type('LATEST'); // alpha and bravo, not the untagged one
      expect(shownNames()).toEqual(['bravo', 'alpha']);
      const selectAll = byTestId('images-select-all') as HTMLInputElement;
      selectAll.click();
      flushSync();
      expect(allByTestId('image-select').every((box) => (box as HTMLInputElement).checked)).toBe(true);
      expect(text('images-delete-selected')).toBe('Delete 2 images');

      (byTestId('images-delete-selected') as HTMLButtonElement).click();
      flushSync();
      const dialog = byTestId('remove-dialog') as HTMLElement;
      expect(dialog.getAttribute('role')).toBe('alertdialog');
      expect(allByTestId('remove-item').map((li) => li.querySelector('.name')?.textContent)).toEqual([
        'alpha:latest',
        'bravo:latest',
      ]);
      expect(asked).toEqual([]);

      (byTestId('remove-confirm') as HTMLButtonElement).click();
      await settle();
      expect(asked).toEqual([[`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]]);
      expect(byTestId('remove-dialog')).toBeNull();
      type('');
      expect(shownNames()).toEqual(['<none>']);
      expect(text('images-count')).toBe('1 image');
    });

    it('cancels without deleting', async () => {
      const calls: unknown[] = [];
      mockCommands({ list_images: rows, remove_images: (args) => calls.push(args) });
      render();
      await settle();
      (allByTestId('image-delete')[0] as HTMLButtonElement).click();
      flushSync();
      expect(allByTestId('remove-item')).toHaveLength(1);
      (byTestId('remove-cancel') as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('remove-dialog')).toBeNull();
      expect(calls).toEqual([]);
    });

    it('lists every tag of an image deleted from one row', async () => {
      mockCommands({
        list_images: () => [image(), image({ reference: 'docker.io/library/nginx:1.27', tag: '1.27' })],
      });
      render();
      await settle();
      (allByTestId('image-delete')[0] as HTMLButtonElement).click();
      flushSync();
      expect(allByTestId('remove-item')).toHaveLength(2);
      expect(text('remove-confirm')).toBe('Delete image');
    });

    it('shows, per image, why it could not be deleted', async () => {
      const hostile = '<img src=x onerror=alert(1)>';
      mockCommands({
        list_images: rows,
        remove_images: () => ({
          removed: [rows()[0]],
          failed: [
            {
              digest: `sha256:${'b'.repeat(64)}`,
              error: { code: 'internal', message: `could not write index.json: ${hostile}` },
            },
          ],
        }),
      });
      render();
      await settle();
      (byTestId('images-select-all') as HTMLInputElement).click();
      flushSync();
      (byTestId('images-delete-selected') as HTMLButtonElement).click();
      flushSync();
      (byTestId('remove-confirm') as HTMLButtonElement).click();
      await settle();
      const failures = byTestId('remove-failures') as HTMLElement;
      expect(failures.getAttribute('role')).toBe('alert');
      expect(failures.textContent).toContain('1 removed, but one image could not be removed');
      expect(text('remove-failure')).toBe(`bravo:latest: could not write index.json: ${hostile}`);
      expect(dom.target.querySelector('img')).toBeNull();
      (byTestId('remove-close') as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('remove-dialog')).toBeNull();
    });

    it('shows a refused request plainly', async () => {
      mockCommands({
        list_images: rows,
        remove_images: () => {
          throw { code: 'invalidInput', message: 'No images were chosen to remove.' };
        },
      });
      render();
      await settle();
      (allByTestId('image-delete')[0] as HTMLButtonElement).click();
      flushSync();
      (byTestId('remove-confirm') as HTMLButtonElement).click();
      await settle();
      expect(text('remove-failure')).toBe('No images were chosen to remove.');
    });

    it('renders hostile names in the dialog as text', async () => {
      const hostile = '<script>alert(1)</script>';
      mockCommands({
        list_images: () => [image({ repository: `ghcr.io/${hostile}`, reference: `ghcr.io/${hostile}:x`, tag: '<b>x</b>' })],
      });
      render();
      await settle();
      (allByTestId('image-delete')[0] as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('remove-item')?.querySelector('.name')?.textContent).toBe(`ghcr.io/${hostile}:<b>x</b>`);
      expect(dom.target.querySelector('script')).toBeNull();
      expect(dom.target.querySelector('b')).toBeNull();
    });

    it('copies the reference of a row without opening it', async () => {
      const writeText = async (value: string) => void copied.push(value);
      const copied: string[] = [];
      Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
      const opened: ImageRow[] = [];
      mockCommands({ list_images: () => [image()] });
      dom.mount(ImagesView, { now: () => NOW, onOpen: (i: ImageRow) => opened.push(i) });
      await settle();
      (byTestId('image-copy') as HTMLButtonElement).click();
      await settle();
      expect(copied).toEqual(['docker.io/library/nginx:latest']);
      expect(text('images-notice')).toBe('Copied docker.io/library/nginx:latest');
      expect(opened).toEqual([]);
      (byTestId('image-details') as HTMLButtonElement).click();
      expect(opened).toHaveLength(1);
    });
  });

  describe('vulnerabilities and pull again', () => {
    const counts = (critical: number, high: number, medium: number, low: number, unrated = 0) => ({
      critical,
      high,
      medium,
      low,
      none: 0,
      unknown: unrated,
      total: critical + high + medium + low + unrated,
    });
    const scanned = (c: ReturnType<typeof counts>) => ({
      counts: c,
      source: 'offline',
      importedAt: '2025-06-10T08:00:00Z',
      scannedAt: '2025-06-14T10:00:00Z',
      packagesScanned: 120,
      packagesCovered: 110,
    });
    const named = (name: string, d: string, overrides: Partial<ImageRow> = {}) =>
      image({
        reference: `docker.io/library/${name}:latest`,
        repository: `docker.io/library/${name}`,
        digest: `sha256:${d.repeat(64)}`,
        ...overrides,
      });
    const cellOf = (row: Element) => row.querySelector('[data-testid="image-vulns"]') as HTMLElement;
    const names = () => allByTestId('image-name').map((e) => e.textContent?.trim());

    it('shows the kept counts as badges with their words, and "Not scanned" otherwise', async () => {
      mockCommands({
        list_images: () => [
          named('scanned', 'a', { vulns: scanned(counts(2, 5, 0, 1, 3)) }),
          named('never', 'b', { created: '2025-06-01T00:00:00Z' }),
        ],
      });
      render();
      await settle();
      const [first, second] = allByTestId('image-row') as [Element, Element];
      const badges = [...cellOf(first).querySelectorAll('[data-testid="image-vuln-badge"]')];
      expect(badges.map((b) => [b.getAttribute('data-level'), b.textContent])).toEqual([
        ['critical', 'C2'],
        ['high', 'H5'],
        ['medium', 'M0'],
        ['low', 'L1'],
      ]);
      expect(badges.map((b) => b.classList.contains('zero'))).toEqual([false, false, true, false]);
      expect(cellOf(first).querySelector('[data-testid="image-vulns-text"]')?.textContent).toBe(
        '2 critical, 5 high, 0 medium, 1 low, 3 unrated',
      );
      expect(cellOf(first).title).toContain('against the offline database');
      expect(cellOf(second).textContent?.trim()).toBe('Not scanned');
      expect(cellOf(second).querySelector('[data-testid="image-vuln-badge"]')).toBeNull();
      // The column is one more sortable header.
      expect(byTestId('sort-vulns')?.textContent).toContain('Vulnerabilities');
    });

    it('sorts by critical, then high, medium and low, the unscanned last both ways', async () => {
      mockCommands({
        list_images: () => [
          named('none', 'a'),
          named('one-critical', 'b', { vulns: scanned(counts(1, 0, 0, 0)) }),
          named('many-high', 'c', { vulns: scanned(counts(0, 9, 0, 0)) }),
          named('one-critical-more-high', 'd', { vulns: scanned(counts(1, 2, 0, 0)) }),
          named('clean', 'e', { vulns: scanned(counts(0, 0, 0, 0)) }),
          named('low', 'f', { vulns: scanned(counts(0, 0, 0, 4)) }),
        ],
      });
      render();
      await settle();
      (byTestId('sort-vulns')?.querySelector('button') as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('sort-vulns')?.getAttribute('aria-sort')).toBe('descending');
      expect(names()).toEqual(['one-critical-more-high', 'one-critical', 'many-high', 'low', 'clean', 'none']);
      (byTestId('sort-vulns')?.querySelector('button') as HTMLButtonElement).click();
      flushSync();
      expect(names()).toEqual(['clean', 'low', 'many-high', 'one-critical', 'one-critical-more-high', 'none']);
    });

    it('pulls a row again with its reference and platform, and says when it is up to date', async () => {
      const asked: unknown[] = [];
      let finish: (digest: string) => void = () => {};
      mockCommands({
        list_images: () => [image({ platform: 'linux/arm64/v8' })],
        pull_image: (args) => {
          asked.push(args);
          const { reference, onEvent } = args as { reference: string; onEvent: unknown };
          sendToChannel(onEvent, {
            event: 'resolved',
            reference,
            digest: `sha256:${'1'.repeat(64)}`,
            platform: 'linux/arm64/v8',
            layers: [],
          });
          return new Promise((resolve) => {
            finish = (digest) =>
              resolve({ reference, digest, id: 'sha256:x', platform: 'linux/arm64/v8', bytesDownloaded: 0, bytesPresent: 10 });
          });
        },
      });
      const opened: ImageRow[] = [];
      dom.mount(ImagesView, { now: () => NOW, onOpen: (i: ImageRow) => opened.push(i) });
      await settle();
      const button = byTestId('image-pull-again') as HTMLButtonElement;
      expect(button.getAttribute('aria-label')).toBe('Pull again docker.io/library/nginx:latest');
      button.click();
      await settle();
      expect(opened).toEqual([]);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ reference: 'docker.io/library/nginx:latest', platform: 'linux/arm64/v8' });
      expect(byTestId('images-repull')?.querySelector('[data-testid="pull-reference"]')?.textContent).toBe(
        'docker.io/library/nginx:latest',
      );
      // While it runs, the row's button waits, and the panel cannot be dismissed yet.
      expect((byTestId('image-pull-again') as HTMLButtonElement).disabled).toBe(true);
      expect(byTestId('images-repull-close')).toBeNull();
      finish(`sha256:${'1'.repeat(64)}`);
      await settle();
      const done = byTestId('pull-done');
      expect(done?.getAttribute('data-outcome')).toBe('upToDate');
      expect(done?.textContent).toContain('Already up to date');
      expect(text('pull-status')).toBe('Up to date');
      (byTestId('images-repull-close') as HTMLButtonElement).click();
      flushSync();
      expect(byTestId('images-repull')).toBeNull();
      pulls.length = 0;
    });

    it('says when pulling again downloaded a newer image', async () => {
      mockCommands({
        list_images: () => [image()],
        pull_image: (args) => {
          const { reference } = args as { reference: string };
          return { reference, digest: `sha256:${'9'.repeat(64)}`, id: 'sha256:y', platform: 'linux/amd64', bytesDownloaded: 2_000_000, bytesPresent: 0 };
        },
      });
      render();
      await settle();
      (byTestId('image-pull-again') as HTMLButtonElement).click();
      await settle();
      expect(byTestId('pull-done')?.getAttribute('data-outcome')).toBe('newer');
      expect(byTestId('pull-done')?.textContent).toContain('Downloaded a newer image of docker.io/library/nginx:latest');
      expect(text('pull-status')).toBe('Newer image pulled');
      pulls.length = 0;
    });

    it('fills in the counts of unscanned images in the background, once each', async () => {
      const asked: string[][] = [];
      let rows = [named('kept', 'a', { vulns: scanned(counts(1, 0, 0, 0)) }), named('fresh', 'b')];
      mockCommands({
        list_images: () => rows,
        fill_vulnerability_counts: (args) => {
          const { digests, onCounts } = args as { digests: string[]; onCounts: unknown };
          asked.push(digests);
          for (const digest of digests) sendToChannel(onCounts, { digest, vulns: scanned(counts(0, 3, 1, 0)) });
          return digests.length;
        },
      });
      render();
      await settle();
      expect(asked).toEqual([[`sha256:${'b'.repeat(64)}`]]);
      const fresh = allByTestId('image-row').find((r) => r.textContent?.includes('fresh')) as Element;
      expect(cellOf(fresh).querySelector('[data-testid="image-vulns-text"]')?.textContent).toBe(
        '0 critical, 3 high, 1 medium, 0 low',
      );
      // A reload asks only about images it has not asked about before.
      rows = [...rows, named('new', 'c')];
      await emitEvent('store-changed');
      await settle();
      expect(asked).toEqual([[`sha256:${'b'.repeat(64)}`], [`sha256:${'c'.repeat(64)}`]]);
    });

    it('leaves "Not scanned" when the background counts are not available', async () => {
      mockCommands({
        list_images: () => [named('fresh', 'b')],
        fill_vulnerability_counts: () => {
          throw { code: 'internal', message: 'no database' };
        },
      });
      render();
      await settle();
      expect(text('image-vulns')).toBe('Not scanned');
      expect(byTestId('images-error')).toBeNull();
    });

    it('offers no pull again for an untagged image', async () => {
      mockCommands({ list_images: () => [image({ reference: null, repository: null, tag: null })] });
      render();
      await settle();
      const button = byTestId('image-pull-again') as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.title).toContain('untagged');
    });
  });
});
