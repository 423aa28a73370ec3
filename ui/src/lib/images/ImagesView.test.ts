import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { settle } from '../settle';

import type { ImageRow } from '../../tauri/ipc';
import { clearMocks, emitEvent, mockCommands } from '../../tauri/testing';
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
  component = mount(ImagesView, { target, props: { now: () => NOW } });
  flushSync();
}

const byTestId = (id: string) => target.querySelector(`[data-testid="${id}"]`);
const allByTestId = (id: string) => [...target.querySelectorAll(`[data-testid="${id}"]`)];
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
    expect(target.querySelector('script')).toBeNull();
    expect(target.querySelector('b')).toBeNull();
  });

  it('opens the search from the header and from the empty state', async () => {
    mockCommands({ list_images: () => [] });
    let opened = 0;
    component = mount(ImagesView, { target, props: { now: () => NOW, onSearch: () => (opened += 1) } });
    await settle();
    (byTestId('images-search') as HTMLButtonElement).click();
    (byTestId('images-empty-search') as HTMLButtonElement).click();
    expect(opened).toBe(2);
  });

  it('opens an image when its row is clicked', async () => {
    mockCommands({ list_images: () => [image()] });
    const opened: ImageRow[] = [];
    component = mount(ImagesView, { target, props: { now: () => NOW, onOpen: (i: ImageRow) => opened.push(i) } });
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
      expect(target.querySelector('img')).toBeNull();
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
      expect(target.querySelector('script')).toBeNull();
      expect(target.querySelector('b')).toBeNull();
    });

    it('copies the reference of a row without opening it', async () => {
      const writeText = async (value: string) => void copied.push(value);
      const copied: string[] = [];
      Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
      const opened: ImageRow[] = [];
      mockCommands({ list_images: () => [image()] });
      component = mount(ImagesView, { target, props: { now: () => NOW, onOpen: (i: ImageRow) => opened.push(i) } });
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
});
