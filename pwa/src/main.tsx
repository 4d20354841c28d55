import { render } from 'preact';
import { App } from './app/App';
import { startRuntime } from './app/runtime';
import { applyDocumentSettings } from './app/settings';
import './styles.css';
import { milestone } from './lib/milestones';

milestone('app:boot');

applyDocumentSettings();
startRuntime();
render(<App />, document.getElementById('app')!);
