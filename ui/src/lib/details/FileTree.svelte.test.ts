import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import type { FilePage, FileRow, LayerRow } from '../../tauri/ipc';
import { mockCommands } from '../../tauri/testing';
import { componentFixture } from '../fixture';
import { settle } from '../settle';
import FileTree from './FileTree.svelte';
import { FileTreeModel, PAGE } from './files';
import { fileRow } from './testing';

const DIGEST = `sha256:${'1'.repeat(64)}`;

function step(index: number, command: string): LayerRow {
  return {
    index,
    digest: `sha256:${index}`,
    command,
    createdBy: command,
    created: null,
    size: 1,
    empty: false,
    added: 1,
    modified: 0,
    removed: 0,
  };
}

const STEPS = [step(0, 'ADD rootfs.tar /'), step(1, 'RUN apk add curl'), step(2, 'RUN rm -rf /var/cache')];

type Args = { digest: string; path: string; steps: number[]; offset: number; limit: number };

/** A fake `image_files` over a map of directory → entries, recording each call. */
function lister(tree: Record<string, FileRow[]>, calls: Args[] = []) {
  return (raw: unknown): FilePage => {
    const args = raw as Args;
    calls.push(args);
    const all = tree[args.path];
    if (!all) throw { code: 'notFound', message: `${args.path} is not in the image` };
    return { total: all.length, offset: args.offset, rows: all.slice(args.offset, args.offset + args.limit) };
  };
}

const WHOLE: Record<string, FileRow[]> = {
  '/': [fileRow('/etc', 'dir'), fileRow('/<img src=x onerror=alert(1)>', 'file', { layer: 1 })],
  '/etc': [
    fileRow('/etc/motd', 'file', { layer: 2, waste: { bytes: 2048, byStep: 2, how: 'modified' } }),
    fileRow('/etc/ssl', 'dir'),
  ],
  '/etc/ssl': [fileRow('/etc/ssl/cert.pem')],
};

const BINARIES: FileRow[] = [
  fileRow('/usr/bin/su', 'file', { mode: '-rwsr-xr-x', setId: true }),
  fileRow('/usr/bin/wall', 'file', { mode: '-rwxr-sr-x', setId: true, gid: 5 }),
  fileRow('/usr/bin/env', 'file', { mode: '-rwxr-xr-x', uid: 1000, gid: 1000 }),
];

const CHANGES: Record<string, FileRow[]> = {
  '/': [fileRow('/etc', 'dir', { layer: 1 }), fileRow('/usr', 'dir', { layer: 1, change: 'added' })],
  '/etc': [
    fileRow('/etc/apk.conf', 'file', { layer: 1, change: 'modified' }),
    fileRow('/etc/old', 'file', { layer: 1, change: 'removed' }),
    fileRow('/etc/tmp.bin', 'file', { layer: 1, change: 'added', size: 4096, waste: { bytes: 4096, byStep: 2, how: 'removed' } }),
  ],
  '/usr': [fileRow('/usr/bin', 'dir', { layer: 1, change: 'added', hasChildren: false })],
};

const dom = componentFixture();
const { byTestId, allByTestId } = dom;

const names = () => allByTestId('file-name').map((e) => e.textContent);
const row = (path: string) =>
  [...dom.target.querySelectorAll<HTMLElement>('[data-testid="file-row"]')].find((r) => r.dataset.path === path) ?? null;
const tree = () => byTestId('files-tree') as HTMLElement;

function press(key: string): void {
  tree().dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
  flushSync();
}

function mountTree(props: Record<string, unknown> = {}) {
  dom.mount(FileTree, { digest: DIGEST, steps: STEPS, debounceMs: 0, ...props });
}

describe('FileTree', () => {
  it('lists the whole image, opens directories a page at a time, and renders names as text', async () => {
    const calls: Args[] = [];
    mockCommands({ image_files: lister(WHOLE, calls) });
    mountTree();
    await settle();
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
    expect(dom.target.querySelector('img')).toBeNull();
    expect(calls).toEqual([{ digest: DIGEST, path: '/', steps: [], offset: 0, limit: PAGE }]);
    expect(byTestId('files-scope-changes')).toBeNull();

    (row('/etc')!.querySelector('[data-testid="file-toggle"]') as HTMLElement).click();
    await settle();
    expect(names()).toEqual(['etc', 'motd', 'ssl', '<img src=x onerror=alert(1)>']);
    expect(row('/etc')!.getAttribute('aria-expanded')).toBe('true');
    expect(row('/etc/motd')!.getAttribute('aria-level')).toBe('2');
    // The whole image has no marks; a path whose earlier versions were overwritten is highlighted.
    expect(allByTestId('file-mark')).toEqual([]);
    const motd = row('/etc/motd')!;
    expect(motd.dataset.wasted).toBe('true');
    const waste = motd.querySelector('[data-testid="file-waste"]') as HTMLElement;
    expect(waste.textContent).toContain('2.05 kB wasted');
    expect(waste.title).toBe('2.05 kB of earlier versions wasted: overwritten by step 3 (RUN rm -rf /var/cache)');

    // Closing keeps what was fetched: opening again asks nothing.
    row('/etc')!.click();
    flushSync();
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
    row('/etc')!.click();
    await settle();
    expect(calls.map((c) => c.path)).toEqual(['/', '/etc']);
  });

  it('shows each path’s permissions and owner as ls does, setuid and setgid files marked', async () => {
    mockCommands({ image_files: lister({ '/': BINARIES }) });
    mountTree();
    await settle();
    const cells = (path: string) => {
      const r = row(path)!;
      const mode = r.querySelector('[data-testid="file-mode"]') as HTMLElement;
      const owner = r.querySelector('[data-testid="file-owner"]') as HTMLElement;
      return [mode.textContent, owner.textContent, mode.classList.contains('set-id'), mode.title];
    };
    const runsAs = 'Setuid or setgid: it runs with the rights of its owner or group';
    expect(cells('/usr/bin/su')).toEqual(['-rwsr-xr-x', '0:0', true, runsAs]);
    expect(cells('/usr/bin/wall')).toEqual(['-rwxr-sr-x', '0:5', true, runsAs]);
    expect(cells('/usr/bin/env')).toEqual(['-rwxr-xr-x', '1000:1000', false, '']);
  });

  it('shows the chosen steps’ changes with marks, struck-through removals and wasted space, and switches to the whole image', async () => {
    const calls: Args[] = [];
    mockCommands({
      image_files: (raw) => lister((raw as Args).steps.length > 0 ? CHANGES : WHOLE, calls)(raw),
    });
    let cleared = 0;
    mountTree({ chosenSteps: new Set([1]), onClearSteps: () => cleared++ });
    await settle();
    expect(calls[0]).toMatchObject({ path: '/', steps: [1] });
    expect(byTestId('files-scope-changes')!.getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('files-steps-notice')!.textContent).toContain('Showing what step 2 introduced');
    expect(names()).toEqual(['etc', 'usr']);
    // A directory listed only as the way to changes has no mark.
    expect(row('/etc')!.dataset.change).toBe('none');
    expect(row('/usr')!.dataset.change).toBe('added');

    row('/etc')!.click();
    await settle();
    const marks = allByTestId('file-mark').map((m) => [m.textContent, (m as HTMLElement).title]);
    expect(marks).toEqual([
      ['Mmodified', 'Modified by step 2 (RUN apk add curl)'],
      ['Dremoved', 'Removed by step 2 (RUN apk add curl)'],
      ['Aadded', 'Added by step 2 (RUN apk add curl)'],
      ['Aadded', 'Added by step 2 (RUN apk add curl)'],
    ]);
    expect(row('/etc/old')!.classList.contains('removed')).toBe(true);
    const tmp = row('/etc/tmp.bin')!;
    expect(tmp.classList.contains('wasted')).toBe(true);
    expect((tmp.querySelector('[data-testid="file-waste"]') as HTMLElement).title).toBe(
      '4.10 kB wasted: removed by step 3 (RUN rm -rf /var/cache)',
    );
    // An added directory with nothing inside it among the changes cannot be opened.
    row('/usr')!.click();
    await settle();
    expect(row('/usr/bin')!.querySelector('[data-testid="file-toggle"]')).toBeNull();
    expect(row('/usr/bin')!.getAttribute('aria-expanded')).toBeNull();

    (byTestId('files-scope-image') as HTMLButtonElement).click();
    await settle();
    expect(calls.at(-1)).toMatchObject({ path: '/', steps: [] });
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
    expect(byTestId('files-steps-notice')).toBeNull();

    (byTestId('files-scope-changes') as HTMLButtonElement).click();
    await settle();
    (byTestId('files-steps-clear') as HTMLButtonElement).click();
    expect(cleared).toBe(1);
  });

  it('follows a new step selection: back to the changes, or to the whole image when cleared', async () => {
    const calls: Args[] = [];
    mockCommands({ image_files: (raw) => lister((raw as Args).steps.length > 0 ? CHANGES : WHOLE, calls)(raw) });
    let props = $state({ digest: DIGEST, steps: STEPS, chosenSteps: new Set<number>() as ReadonlySet<number>, debounceMs: 0 });
    dom.mount(FileTree, props);
    await settle();
    expect(calls.at(-1)!.steps).toEqual([]);
    props.chosenSteps = new Set([2, 1]);
    await settle();
    expect(calls.at(-1)!.steps).toEqual([1, 2]);
    expect(byTestId('files-steps-notice')!.textContent).toContain('steps 2, 3');
    props.chosenSteps = new Set();
    await settle();
    expect(calls.at(-1)!.steps).toEqual([]);
    expect(byTestId('files-scope-image')).toBeNull();
  });

  it('searches by name in both views', async () => {
    const searched: unknown[] = [];
    mockCommands({
      image_files: (raw) => lister((raw as Args).steps.length > 0 ? CHANGES : WHOLE)(raw),
      search_image_files: (args) => {
        searched.push(args);
        return [fileRow('/etc/tmp.bin', 'file', { layer: 1, change: 'added' })];
      },
    });
    mountTree({ chosenSteps: new Set([1]) });
    await settle();
    const search = byTestId('files-search') as HTMLInputElement;
    expect(search.getAttribute('aria-label')).toBe('Find changed files by name');
    search.value = 'tmp';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(searched).toEqual([{ digest: DIGEST, needle: 'tmp', steps: [1] }]);
    expect(allByTestId('file-match').map((m) => m.querySelector('[data-testid="file-name"]')!.textContent)).toEqual([
      '/etc/tmp.bin',
    ]);
    expect(allByTestId('file-mark').map((m) => m.textContent)).toEqual(['Aadded']);

    // The other view searches again, over the whole image.
    (byTestId('files-scope-image') as HTMLButtonElement).click();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(searched.at(-1)).toEqual({ digest: DIGEST, needle: 'tmp', steps: [] });

    search.value = '';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(allByTestId('file-match')).toEqual([]);
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
  });

  it('moves with the arrow keys, opens with Right / Enter, closes and climbs with Left', async () => {
    mockCommands({ image_files: lister(WHOLE) });
    mountTree();
    await settle();
    const active = () => tree().getAttribute('aria-activedescendant');
    const activePath = () => document.getElementById(active() ?? '')?.dataset.path;
    expect(tree().getAttribute('role')).toBe('tree');
    expect(activePath()).toBe('/etc');
    press('ArrowRight');
    await settle();
    expect(row('/etc')!.getAttribute('aria-expanded')).toBe('true');
    press('ArrowRight');
    expect(activePath()).toBe('/etc/motd');
    press('ArrowDown');
    expect(activePath()).toBe('/etc/ssl');
    press('Enter');
    await settle();
    expect(names()).toEqual(['etc', 'motd', 'ssl', 'cert.pem', '<img src=x onerror=alert(1)>']);
    press('ArrowDown');
    expect(activePath()).toBe('/etc/ssl/cert.pem');
    press('ArrowLeft');
    expect(activePath()).toBe('/etc/ssl');
    press('ArrowLeft');
    expect(row('/etc/ssl')!.getAttribute('aria-expanded')).toBe('false');
    press('ArrowLeft');
    expect(activePath()).toBe('/etc');
    press('End');
    expect(activePath()).toBe('/<img src=x onerror=alert(1)>');
    press('Home');
    press('ArrowLeft');
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
  });

  it('shows a listing error with Retry', async () => {
    let fail = true;
    mockCommands({
      image_files: (raw) => {
        if (fail) throw { code: 'internal', message: 'layer sha256:aa is not a valid tar archive' };
        return lister(WHOLE)(raw);
      },
    });
    mountTree();
    await settle();
    expect(dom.target.querySelector('[role="alert"]')!.textContent).toContain('not a valid tar archive');
    fail = false;
    (dom.target.querySelector('[data-testid="file-note"] button') as HTMLButtonElement).click();
    await settle();
    expect(names()).toEqual(['etc', '<img src=x onerror=alert(1)>']);
  });

  it('draws only the rows in view of a 100,000-entry directory and fetches only their pages', async () => {
    const N = 100_000;
    const rows = Array.from({ length: N }, (_, i) => fileRow(`/data/f${String(i).padStart(6, '0')}`));
    const calls: Args[] = [];
    mockCommands({ image_files: lister({ '/': [fileRow('/data', 'dir')], '/data': rows }, calls) });
    mountTree();
    await settle();
    let t = performance.now();
    row('/data')!.click();
    await settle();
    const openMs = performance.now() - t;
    expect(tree().dataset.count).toBe(String(N + 1));
    expect(tree().style.height).toBe(`${(N + 1) * 26}px`);
    const drawn = allByTestId('file-row').length;
    expect(drawn).toBeGreaterThan(20);
    expect(drawn).toBeLessThan(80);
    expect(calls.filter((c) => c.path === '/data').map((c) => c.offset)).toEqual([0]);

    const scroller = byTestId('files-scroller') as HTMLDivElement;
    Object.defineProperty(scroller, 'clientHeight', { value: 520, configurable: true });
    Object.defineProperty(scroller, 'scrollTop', { value: 0, writable: true, configurable: true });
    const steps: number[] = [];
    for (const to of [10_000, 50_000, 50_020, 99_990]) {
      scroller.scrollTop = to * 26;
      t = performance.now();
      scroller.dispatchEvent(new Event('scroll'));
      await settle();
      steps.push(performance.now() - t);
      const paths = allByTestId('file-row').map((r) => (r as HTMLElement).dataset.path);
      expect(paths).toContain(`/data/f${String(to + 5).padStart(6, '0')}`);
      expect(paths.length).toBeLessThan(80);
    }
    // Only the pages scrolled into view were asked for.
    expect(calls.filter((c) => c.path === '/data').length).toBeLessThanOrEqual(8);
    console.log(
      `100,000-entry directory (jsdom): opened in ${openMs.toFixed(1)} ms; scroll steps ${steps
        .map((s) => s.toFixed(1))
        .join(', ')} ms; ${drawn} rows drawn`,
    );
  });
});

describe('FileTreeModel', () => {
  it('lays open directories out as segments and finds rows by position', async () => {
    const pages: Record<string, FileRow[]> = {
      '/': [fileRow('/a', 'dir'), fileRow('/b', 'dir'), fileRow('/c')],
      '/a': Array.from({ length: 450 }, (_, i) => fileRow(`/a/${i}`)),
      '/b': [],
    };
    let changes = 0;
    const model = new FileTreeModel(async (dir, offset, limit) => lister(pages)({ path: dir, offset, limit, steps: [] }), () => changes++);
    expect(model.count).toBe(1);
    expect(model.rowAt(0).kind).toBe('loading');
    model.start();
    await settle();
    expect(model.count).toBe(3);
    model.toggle('/', 0, '/a');
    model.toggle('/', 1, '/b');
    await settle();
    // /a, 450 entries, /b, "empty", /c
    expect(model.count).toBe(1 + 450 + 1 + 1 + 1);
    expect(model.rowAt(452)).toMatchObject({ kind: 'empty', dir: '/b' });
    expect(model.rowAt(453)).toMatchObject({ kind: 'entry', dir: '/', index: 2 });
    // Only the first page of /a is here; the rest arrives when wanted.
    expect(model.rowAt(1 + 300)).toMatchObject({ kind: 'entry', dir: '/a', index: 300, row: null });
    model.want(290, 310);
    await settle();
    expect(model.rowAt(1 + 300)).toMatchObject({ row: { path: '/a/300' } });
    expect(model.parentRow('/a')).toBe(0);
    expect(model.positionOf('/', 2)).toBe(453);
    expect(changes).toBeGreaterThan(3);
  });
});
