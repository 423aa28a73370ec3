// The start-up prefetch of the image list: taken once by the first listImages, then gone.
import { afterEach, expect, it } from 'vitest';

import { listImages, prefetchImages } from './ipc';
import { clearMocks, mockCommands } from './testing';

afterEach(() => clearMocks());

it('the first listing after a prefetch is the prefetched answer, later ones ask again', async () => {
  let calls = 0;
  mockCommands({ list_images: () => [{ calls: ++calls }] });
  prefetchImages();
  prefetchImages(); // a second prefetch reuses the first
  expect(calls).toBe(1);
  expect(await listImages()).toEqual([{ calls: 1 }]);
  expect(await listImages()).toEqual([{ calls: 2 }]);
  expect(calls).toBe(2);
});

it('a failed prefetch reaches the page that takes it, and the next listing asks again', async () => {
  let fail = true;
  mockCommands({
    list_images: () => {
      if (fail) throw { code: 'internal', message: 'the store is unreadable' };
      return [];
    },
  });
  prefetchImages();
  await expect(listImages()).rejects.toThrow('the store is unreadable');
  fail = false;
  expect(await listImages()).toEqual([]);
});
