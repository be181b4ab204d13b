// Firefox's protocol handler for `magnet:` lands here (manifest `protocol_handlers`, uriTemplate
// `/handler.html?uri=%s`), e.g. for magnet links opened from other programs or with link catching
// off. It forwards the link to the background exactly like a caught click.

import { ext } from '../lib/browser.js';
import { isMagnet } from '../lib/links.js';
import { CAST_LINK } from '../lib/messages.js';

const result = document.getElementById('result');

function show(text, kind = '') {
  result.textContent = text;
  result.dataset.kind = kind;
}

const uri = new URLSearchParams(location.search).get('uri') ?? '';
if (!isMagnet(uri)) {
  show('This is not a magnet link magnetcast can cast.', 'error');
} else {
  ext.runtime
    .sendMessage({ type: CAST_LINK, url: uri })
    .then((reply) => {
      if (reply?.ok) {
        show(reply.device ? `“${reply.name ?? 'The video'}” is starting on ${reply.device}.` : `“${reply.name ?? 'The torrent'}” is downloading. Choose a device in the magnetcast popup to play it.`, 'ok');
        // The page the link was on is one step back; return there once the user has seen this.
        if (history.length > 1) setTimeout(() => history.back(), 2500);
      } else {
        show(`Could not cast: ${reply?.error ?? 'no answer from the extension'}`, 'error');
      }
    })
    .catch((e) => show(`Could not cast: ${e.message}`, 'error'));
}
