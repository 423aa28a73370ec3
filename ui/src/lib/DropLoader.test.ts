import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import type { FileDrag } from '../tauri/ipc';
import { emitEvent, mockCommands } from '../tauri/testing';
import DropLoader from './DropLoader.svelte';
import { componentFixture } from './fixture';
import { settle } from './settle';

const dom = componentFixture();
const { byTestId } = dom;

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
    expect(loaded).toEqual([{ path: '/home/me/a.tar' }, { path: '/home/me/b.tar.gz' }]);
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
    expect(loaded).toEqual([{ path: '/x/a.tar' }]);
  });
});
