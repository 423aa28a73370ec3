import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { settle } from '../settle';
import { resetPreferences } from '../../tauri/ipc';
import { clearMocks, mockCommands, storeCommands } from '../../tauri/testing';
import { applyTheme, chooseTheme, savedTheme, startTheme } from './theme';

let stored: Map<string, unknown>;

beforeEach(() => {
  stored = new Map();
  resetPreferences();
  mockCommands(storeCommands(stored));
});

afterEach(() => {
  delete document.documentElement.dataset.theme;
  clearMocks();
  resetPreferences();
});

describe('theme', () => {
  it('forces light or dark with data-theme, and follows the system without it', async () => {
    applyTheme('dark');
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    applyTheme('light');
    expect(document.documentElement.getAttribute('data-theme')).toBe('light');
    applyTheme('system');
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false);
    // The window frame's theme is best effort: without a window (as here) nothing fails.
    await settle();
  });

  it('remembers the choice in the preference store and applies it at start', async () => {
    expect(await savedTheme()).toBe('system');
    await chooseTheme('dark');
    expect(stored.get('theme')).toBe('dark');
    delete document.documentElement.dataset.theme;
    resetPreferences();
    await startTheme();
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(await savedTheme()).toBe('dark');
  });

  it('treats anything else in the store as system', async () => {
    stored.set('theme', '<script>');
    expect(await savedTheme()).toBe('system');
    await startTheme();
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false);
  });
});
