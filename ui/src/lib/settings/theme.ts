// The colour theme: `data-theme="light|dark"` on <html> forces one (app.css flips its
// palette on it); without the attribute the page follows the system's preference. The
// choice is a UI preference (the app's store file), applied before the first render
// (main.ts) and at once when changed in Settings.
import { getPreference, setPreference, setWindowTheme, type Theme } from '../../tauri/ipc';

export type { Theme };

export const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function isTheme(value: unknown): value is Theme {
  return value === 'light' || value === 'dark' || value === 'system';
}

/** Shows `theme` now: the page through `data-theme`, the window frame natively. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  void setWindowTheme(theme === 'system' ? null : theme);
}

/** The remembered theme (`system` when none, or when the store holds something else). */
export async function savedTheme(): Promise<Theme> {
  const theme = await getPreference('theme');
  return isTheme(theme) ? theme : 'system';
}

/** Applies and remembers a theme chosen in Settings. */
export async function chooseTheme(theme: Theme): Promise<void> {
  applyTheme(theme);
  await setPreference('theme', theme);
}

/** At start-up: applies the remembered theme, waiting at most `patienceMs` for the store
 *  (the page follows the system meanwhile, and a late answer still applies). */
export async function startTheme(patienceMs = 250): Promise<void> {
  const remembered = savedTheme().then((theme) => {
    if (theme !== 'system') applyTheme(theme);
  });
  await Promise.race([remembered, new Promise((resolve) => setTimeout(resolve, patienceMs))]);
}
