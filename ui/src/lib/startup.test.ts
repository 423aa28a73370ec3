import { afterEach, describe, expect, it, vi } from 'vitest';

import { whenFirstShown } from './startup';

describe('whenFirstShown', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    vi.useRealTimers();
  });

  const frames = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('reports once, after the Images page shows its first answer', async () => {
    const report = vi.fn();
    whenFirstShown(report);
    document.body.innerHTML = '<p data-testid="images-loading">Loading…</p>';
    await frames();
    await frames();
    expect(report).not.toHaveBeenCalled();

    const row = document.createElement('tr');
    row.dataset.testid = 'image-row';
    document.body.append(row);
    await frames();
    await frames();
    expect(report).toHaveBeenCalledTimes(1);

    document.body.append(row.cloneNode());
    await frames();
    await frames();
    expect(report).toHaveBeenCalledTimes(1);
  });

  it('counts an empty store and an error as an answer too', async () => {
    for (const id of ['images-empty', 'images-error']) {
      document.body.innerHTML = `<div data-testid="${id}"></div>`;
      const report = vi.fn();
      whenFirstShown(report);
      await frames();
      await frames();
      expect(report, id).toHaveBeenCalledTimes(1);
    }
  });

  it('can be stopped before the page is ready', async () => {
    const report = vi.fn();
    const stop = whenFirstShown(report);
    stop();
    document.body.innerHTML = '<div data-testid="images-empty"></div>';
    await frames();
    await frames();
    expect(report).not.toHaveBeenCalled();
  });
});
