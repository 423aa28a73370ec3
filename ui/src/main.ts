import { mount } from 'svelte';

import './app.css';
import App from './App.svelte';
import { startTheme } from './lib/settings/theme';
import { whenFirstShown } from './lib/startup';
import { prefetchImages, reportReady } from './tauri/ipc';

performance.mark('porthole:script');
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// Tells the shell when the Images page first shows the store (bench/app.sh times it).
whenFirstShown(() => void reportReady());

// The store's images are asked for first: the answer travels while the theme and the page
// are set up.
prefetchImages();

// The remembered theme first, so the page does not render in the other one and flip.
await startTheme();
performance.mark('porthole:theme');

const app = mount(App, { target });
performance.mark('porthole:mounted');
export default app;
