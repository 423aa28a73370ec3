import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import type { FileDrag } from '../tauri/ipc';
import { emitEvent, mockCommands, sendToChannel } from '../tauri/testing';
import DropLoader from './DropLoader.svelte';
import { componentFixture } from './fixture';
import { settle } from './settle';

const dom = componentFixture();
const { byTestId } = dom;

/** What `load_image_archive` is called with. */
interface LoadArgs {
  archiveId: string;
  path: string;
  onProgress: unknown;
}

const paths = (calls: unknown[]) => calls.map((a) => (a as LoadArgs).path);

/** A `load_image_archive` that answers only when the test says: its calls, and how to end
 *  the latest one. */
function pendingLoads() {
  const calls: LoadArgs[] = [];
  let resolve: (answer: unknown) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const handler = (args: unknown) => {
    calls.push(args as LoadArgs);
    return new Promise((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
  };
  return {
    calls,
    /** The `n`th call. */
    call: (n: number): LoadArgs => {
      const args = calls[n];
      if (!args) throw new Error(`load_image_archive was called ${calls.length} times, not ${n + 1}`);
      return args;
    },
    handler,
    resolve: (answer: unknown) => resolve(answer),
    reject: (error: unknown) => reject(error),
  };
}

/** Mounts the loader with a drag source the test drives; returns the driver. */
async function mountWithDrags(): Promise<(drag: FileDrag) => void> {
  let send: (drag: FileDrag) => void = () => {};
  dom.mount(DropLoader, {
    subscribe: async (handler: (drag: FileDrag) => void) => {
      send = handler;
      return () => {};
    },
  });
  await settle();
  return (drag) => {
    send(drag);
    flushSync();
  };
}

describe('DropLoader', () => {
  it('veils the window while files hover, then loads each dropped archive', async () => {
    const loaded: unknown[] = [];
    mockCommands({
      load_image_archive: (args) => {
        loaded.push(args);
        const { path } = args as { path: string };
        return path.endsWith('a.tar')
          ? { images: ['docker.io/library/a:1'], bytes: 1_000 }
          : { images: ['example.com/b:2', 'example.com/b:latest'], bytes: 2_000_000 };
      },
    });
    const drag = await mountWithDrags();
    expect(byTestId('drop-overlay')).toBeNull();
    drag({ kind: 'over', paths: ['/home/me/a.tar'] });
    expect(byTestId('drop-overlay')?.textContent).toContain('Drop an image archive to load it');
    drag({ kind: 'leave' });
    expect(byTestId('drop-overlay')).toBeNull();

    drag({ kind: 'over', paths: [] });
    drag({ kind: 'drop', paths: ['/home/me/a.tar', '/home/me/b.tar.gz'] });
    expect(byTestId('drop-overlay')).toBeNull();
    await settle();
    expect(paths(loaded)).toEqual(['/home/me/a.tar', '/home/me/b.tar.gz']);
    // Each archive is its own operation, to cancel by its id.
    const ids = loaded.map((a) => (a as LoadArgs).archiveId);
    expect(new Set(ids).size).toBe(2);
    const status = byTestId('drop-status') as HTMLElement;
    expect(status.getAttribute('role')).toBe('status');
    expect(status.textContent).toContain('Loaded 3 images (2.00 MB)');
    (byTestId('drop-dismiss') as HTMLButtonElement).click();
    flushSync();
    expect(byTestId('drop-status')).toBeNull();
  });

  it('names the one image loaded, and says why an archive was refused', async () => {
    mockCommands({
      load_image_archive: (args) => {
        const { path } = args as { path: string };
        if (path.endsWith('notes.txt')) {
          throw { code: 'invalidInput', message: 'cannot load `/home/me/notes.txt`: … it cannot be read as a tar' };
        }
        return { images: ['docker.io/library/<b>a</b>:1'], bytes: 1_000 };
      },
    });
    const drag = await mountWithDrags();
    drag({ kind: 'drop', paths: ['/home/me/a.tar'] });
    await settle();
    expect(byTestId('drop-status')?.textContent).toContain('Loaded docker.io/library/<b>a</b>:1 (1.00 kB)');
    expect(dom.target.querySelector('b')).toBeNull();

    drag({ kind: 'drop', paths: ['/home/me/notes.txt'] });
    await settle();
    const status = byTestId('drop-status') as HTMLElement;
    expect(status.getAttribute('role')).toBe('alert');
    expect(status.textContent).toContain('it cannot be read as a tar');
  });

  it('hears Tauri’s own drag-drop events through ipc', async () => {
    const loaded: unknown[] = [];
    mockCommands({
      load_image_archive: (args) => {
        loaded.push(args);
        return { images: ['docker.io/library/a:1'], bytes: 1 };
      },
    });
    dom.mount(DropLoader);
    await settle();
    await emitEvent('tauri://drag-enter', { paths: ['/x/a.tar'], position: { x: 1, y: 1 } });
    flushSync();
    expect(byTestId('drop-overlay')).not.toBeNull();
    await emitEvent('tauri://drag-drop', { paths: ['/x/a.tar'], position: { x: 1, y: 1 } });
    await settle();
    expect(byTestId('drop-overlay')).toBeNull();
    expect(paths(loaded)).toEqual(['/x/a.tar']);
  });

  it('shows the bytes read of the archive as it loads, and ignores progress after the answer', async () => {
    const loads = pendingLoads();
    mockCommands({ load_image_archive: loads.handler });
    const drag = await mountWithDrags();
    drag({ kind: 'drop', paths: ['/home/me/big.tar'] });
    await settle();
    const status = byTestId('drop-status') as HTMLElement;
    expect(status.textContent).toContain('Loading big.tar…');
    expect(byTestId('drop-dismiss')).toBeNull();
    const bar = byTestId('drop-progress-bar') as HTMLElement;
    expect(bar.getAttribute('role')).toBe('progressbar');
    expect(bar.getAttribute('aria-label')).toBe('big.tar read so far');
    // No total yet: no value, only the bytes.
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(byTestId('drop-progress-bytes')?.textContent).toBe('0 B so far');

    sendToChannel(loads.call(0).onProgress, { done: 500_000_000, total: 2_000_000_000 });
    flushSync();
    expect(byTestId('drop-progress-bytes')?.textContent).toBe('500 MB of 2.00 GB');
    expect(byTestId('drop-progress-bar')?.getAttribute('aria-valuenow')).toBe('25');
    expect(byTestId('drop-cancel')?.getAttribute('aria-label')).toBe('Cancel loading big.tar');

    loads.resolve({ images: ['docker.io/library/big:1'], bytes: 1_990_000_000 });
    await settle();
    sendToChannel(loads.call(0).onProgress, { done: 2_000_000_000, total: 2_000_000_000 });
    flushSync();
    expect(byTestId('drop-progress-bar')).toBeNull();
    expect(byTestId('drop-status')?.textContent).toContain('Loaded docker.io/library/big:1 (1.99 GB)');
  });

  it('cancels the load by its id and says it was cancelled, not that it failed', async () => {
    const loads = pendingLoads();
    const cancelled: unknown[] = [];
    mockCommands({
      load_image_archive: (args) => {
        if ((args as LoadArgs).path.endsWith('a.tar')) return { images: ['docker.io/library/a:1'], bytes: 1_000 };
        return loads.handler(args);
      },
      cancel_archive: (args) => {
        cancelled.push(args);
        loads.reject({ code: 'cancelled', message: 'Loading `/home/me/b.tar` was cancelled; no image of it was added.' });
        return null;
      },
    });
    const drag = await mountWithDrags();
    drag({ kind: 'drop', paths: ['/home/me/a.tar', '/home/me/b.tar'] });
    await settle();
    sendToChannel(loads.call(0).onProgress, { done: 10, total: 100 });
    flushSync();
    (byTestId('drop-cancel') as HTMLButtonElement).click();
    flushSync();
    expect(cancelled).toEqual([{ archiveId: loads.call(0).archiveId }]);
    await settle();
    const status = byTestId('drop-status') as HTMLElement;
    expect(status.getAttribute('role')).toBe('status');
    expect(status.classList.contains('failed')).toBe(false);
    expect(byTestId('drop-cancelled')?.textContent).toBe(
      'Cancelled: b.tar was not loaded. Loaded docker.io/library/a:1 (1.00 kB) before it.',
    );
    expect(byTestId('drop-progress-bar')).toBeNull();
    expect(byTestId('drop-dismiss')).not.toBeNull();
  });

  it('says "Cancelling" once Cancel is pressed, until the load ends', async () => {
    const loads = pendingLoads();
    const cancelled: unknown[] = [];
    mockCommands({
      load_image_archive: loads.handler,
      // The cancel is heard; the load answers a moment later.
      cancel_archive: (args) => void cancelled.push(args),
    });
    const drag = await mountWithDrags();
    drag({ kind: 'drop', paths: ['/home/me/big.tar'] });
    await settle();
    (byTestId('drop-cancel') as HTMLButtonElement).click();
    await settle();
    expect(cancelled).toHaveLength(1);
    expect(byTestId('drop-status')?.textContent).toContain('Cancelling the load of big.tar…');
    loads.reject({ code: 'cancelled', message: 'cancelled' });
    await settle();
    expect(byTestId('drop-cancelled')?.textContent).toBe('Cancelled: big.tar was not loaded.');
  });

  it('shows an error that ends a load midway as an alert, without the bar', async () => {
    const loads = pendingLoads();
    mockCommands({ load_image_archive: loads.handler });
    const drag = await mountWithDrags();
    drag({ kind: 'drop', paths: ['/home/me/big.tar'] });
    await settle();
    sendToChannel(loads.call(0).onProgress, { done: 1_000, total: 2_000 });
    flushSync();
    loads.reject({ code: 'internal', message: 'cannot load `/home/me/big.tar`: the disk is full' });
    await settle();
    const status = byTestId('drop-status') as HTMLElement;
    expect(status.getAttribute('role')).toBe('alert');
    expect(status.textContent).toContain('the disk is full');
    expect(byTestId('drop-progress-bar')).toBeNull();
    expect(byTestId('drop-cancel')).toBeNull();
  });
});
