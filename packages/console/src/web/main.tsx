// The console's entry point (bundled by bundle.mjs into dist/bundle/app.js).
import { render } from 'preact';
import { App } from './views/app.js';
import { session } from './session.js';

session.adoptFragmentToken();
const root = document.getElementById('app');
if (root) render(<App />, root);
