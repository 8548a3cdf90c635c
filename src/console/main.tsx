import { render } from 'preact';
import { App } from './App.js';
import './styles.css';
// xterm.js itself loads only on the terminal pages (terminal/useXterm.ts); its few KB of CSS
// come with the console's, since a lazily loaded chunk's CSS would not be linked.
import '@xterm/xterm/css/xterm.css';

render(<App />, document.getElementById('app') as HTMLElement);
