// Content script (all frames, document_start): turns a click on a magnet link into a cast.
// A classic script, not a module: browsers cannot load content scripts as ES modules, so the two
// constants shared with src/lib/messages.js are repeated here (test/content-script.test.mjs checks
// they agree).
//
// One capture-phase listener on the document, rather than one per link: it sees links added after
// load (infinite scroll, SPAs) and runs before the page's own bubbling handlers.
(() => {
  'use strict';
  const api = globalThis.browser ?? globalThis.chrome;
  const CAST_LINK = 'magnetcast:cast-link';
  const CATCH_KEY = 'catchMagnetClicks';
  const MAX_MAGNET_LENGTH = 16 * 1024;

  // On until storage says otherwise: reading storage is async and a click may come first.
  let enabled = true;

  /** The magnet URI a click should cast, or null to leave the click to the browser. */
  function magnetToCatch(event) {
    // Synthetic clicks (element.click() from page script) are the page's doing, not the user's.
    if (!event.isTrusted) return null;
    // Middle/right buttons and modified clicks keep their usual meaning (new tab, save, …).
    if (event.button !== 0) return null;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return null;
    if (event.defaultPrevented) return null;
    const origin = event.composedPath?.()[0] ?? event.target;
    const element = origin?.nodeType === Node.ELEMENT_NODE ? origin : origin?.parentElement;
    const link = element?.closest?.('a[href]');
    if (!link) return null;
    const href = (link.getAttribute('href') ?? '').trim();
    if (href.length > MAX_MAGNET_LENGTH || !/^magnet:\?/i.test(href)) return null;
    return href;
  }

  function onClick(event) {
    // After an extension reload the old content script has no runtime: let the browser handle it.
    if (!enabled || !api?.runtime?.id) return;
    const url = magnetToCatch(event);
    if (!url) return;
    event.preventDefault();
    try {
      const sent = api.runtime.sendMessage({ type: CAST_LINK, url });
      sent?.catch?.(() => {});
    } catch {
      // The extension went away between the check and the send; nothing more to do.
    }
  }

  document.addEventListener('click', onClick, true);

  api?.storage?.local
    ?.get(CATCH_KEY)
    .then((saved) => {
      enabled = saved?.[CATCH_KEY] !== false;
    })
    .catch(() => {});
  api?.storage?.onChanged?.addListener((changes, area) => {
    if (area === 'local' && Object.hasOwn(changes, CATCH_KEY)) enabled = changes[CATCH_KEY].newValue !== false;
  });
})();
