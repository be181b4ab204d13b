// Popup entry: connects to the background and hands snapshots to the view.

import { createPopup } from './view.js';
import { ext } from '../lib/browser.js';
import { connectBackground } from '../lib/ui-client.js';

let view = null;
const client = connectBackground({ onState: (state) => view?.render(state) });
view = createPopup(document, {
  call: (method, ...args) => client.call(method, ...args),
  openOptions: () => ext.runtime.openOptionsPage(),
  // Opening a web page in a tab needs no permission (only reading tabs does).
  openTab: (url) => ext.tabs.create({ url }),
  copy: (text) => navigator.clipboard.writeText(text),
});
setInterval(() => view.tick(), 500);
