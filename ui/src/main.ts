import { mount } from 'svelte';

import './app.css';
import App from './App.svelte';
import { startTheme } from './lib/settings/theme';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// The remembered theme first, so the page does not render in the other one and flip.
await startTheme();

export default mount(App, { target });
