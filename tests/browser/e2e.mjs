#!/usr/bin/env node
// Browser end-to-end driver for the magnetcast extension, run step by step by a parent process.
//
// Requirements: `npm ci && npm run build` in extension/ (this script loads playwright-core from
// extension/node_modules and the unpacked extension from extension/dist/chrome), and Debian's
// Chromium. No browser is downloaded.
//
// Environment:
//   MC_CHROMIUM     Chromium binary (default /usr/bin/chromium)
//   MC_EXTENSION    the built extension (default <repo>/extension/dist/chrome)
//   MC_PROFILE      user-data-dir (required). Chromium reads user-level native messaging host
//                   manifests from $MC_PROFILE/NativeMessagingHosts/.
//   MC_MAGNET       the magnet URI the test page links to (required)
//   MC_TORRENT_FILE a .torrent file the test page serves behind a cookie (required)
//   MC_ARTIFACTS    folder for screenshots (default: the current directory)
//   MC_WAIT_SECS    how long a WAIT may last before the driver gives up (default 600)
// The whole environment is passed to Chromium, so the native host it starts inherits it
// (e.g. MAGNETCAST_HOME).
//
// Protocol: every step prints one JSON line on stdout. After a step marked WAIT the driver reads
// one line from stdin (any content) before going on. Diagnostics go to stderr. On any failure it
// prints {"step":"error","message":…}, saves failure.png, and exits 1; stdin closing during a
// WAIT is a failure too. Success ends with exit 0 after the last step.
//
//   {"step":"not_installed","extension_id":…}          WAIT  popup shows `magnetcast install`;
//                                                            now install the host manifest
//   {"step":"connected"}                                      Retry pressed; popup shows the empty state
//   {"step":"magnet_clicked","page":…,"attacks":{…}}    WAIT  the page's own synthetic clicks, script
//                                                            navigation to magnet: and requests to the
//                                                            control API first (attacks: fetch_read,
//                                                            ws_opened, decoy_cast, all to be false),
//                                                            then #magnet clicked on the test page and
//                                                            the background took the link
//   {"step":"torrent_link_cast","cookie_sent":bool,"torrent":…}
//                                                       WAIT  the context-menu handler cast the
//                                                            cookie-protected .torrent URL
//   {"step":"pause_clicked","torrents":n,"progress":x}  WAIT  popup listed the torrent(s) with
//                                                            progress > 0; its Pause was clicked
//   {"step":"paused"}                                         popup shows the paused state
//   {"step":"daemon_error","rejected":…,"shown":…}            castLink on a magnet no one seeds;
//                                                            the popup shows the daemon's error
//                                                            (popup-error.png); exit 0
//
// The extension's test hook used in steps 4 and 7 (see extension/src/background/main.js):
//   globalThis.magnetcast.castLink(url: string, tab?: chrome.tabs.Tab) → Promise<add result>
// DOM hooks in popup.html: #app[data-state] (connecting | not-installed | disconnected | empty |
// active), #install-command, #retry, [data-testid=pending] (a link being added),
// [data-testid=torrent] with progress[data-testid=progress], #player[data-player-state], #pause
// (the play/pause toggle: text "Pause" or "Play"), #error / #error-message.

import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { CHROME_ID } from '../../extension/build/manifest.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const require = createRequire(join(repo, 'extension', 'package.json'));
const { chromium } = require('playwright-core');

const UI_TIMEOUT_MS = 30_000;
const CAST_TIMEOUT_MS = 180_000;

const env = {
  chromium: process.env.MC_CHROMIUM || '/usr/bin/chromium',
  extension: resolve(process.env.MC_EXTENSION || join(repo, 'extension', 'dist', 'chrome')),
  profile: process.env.MC_PROFILE,
  magnet: process.env.MC_MAGNET,
  torrentFile: process.env.MC_TORRENT_FILE,
  artifacts: resolve(process.env.MC_ARTIFACTS || '.'),
  waitMs: Number(process.env.MC_WAIT_SECS || 600) * 1000,
};

const log = (...args) => console.error(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...args);
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

let context = null;
let lastPage = null;

// stdin: one line per WAIT.
const lines = [];
const lineWaiters = [];
let stdinClosed = false;
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => (lineWaiters.length ? lineWaiters.shift().resolve(line) : lines.push(line)));
rl.on('close', () => {
  stdinClosed = true;
  for (const w of lineWaiters.splice(0)) w.reject(new Error('stdin closed while waiting for the parent'));
});

function waitForParent(step) {
  if (lines.length) return Promise.resolve(lines.shift());
  if (stdinClosed) return Promise.reject(new Error(`stdin closed while waiting after ${step}`));
  log(`waiting for the parent after ${step}`);
  return withTimeout(
    new Promise((resolve, reject) => lineWaiters.push({ resolve, reject })),
    env.waitMs,
    `no line from the parent within ${env.waitMs / 1000} s after ${step}`,
  );
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The test site: a page with both links, and a .torrent only for requests with its cookie. */
function startSite(torrentBytes) {
  const seen = { torrentRequests: 0, cookieSent: false };
  const server = createServer((req, res) => {
    const cookie = req.headers.cookie ?? '';
    log(`site: ${req.method} ${req.url} cookie=${JSON.stringify(cookie)}`);
    if (req.url === '/' || req.url.startsWith('/?')) {
      const magnet = env.magnet.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'set-cookie': 'session=letmein; Path=/; HttpOnly',
      });
      res.end(`<!doctype html><meta charset="utf-8"><title>magnetcast test page</title>
<h1>Test torrents</h1>
<p><a id="magnet" href="${magnet}">Magnet link</a></p>
<p><a id="torrent" href="/private/file.torrent">Private .torrent</a></p>`);
      return;
    }
    if (req.url === '/private/file.torrent') {
      seen.torrentRequests += 1;
      const authorised = /(?:^|;\s*)session=letmein(?:;|$)/.test(cookie);
      if (authorised) seen.cookieSent = true;
      if (!authorised) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('log in first');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-bittorrent', 'content-length': torrentBytes.length });
      res.end(torrentBytes);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolveStart) => {
    server.listen(0, '127.0.0.1', () => resolveStart({ server, seen, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}

async function extensionWorker() {
  const existing = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  if (existing) return existing;
  return context.waitForEvent('serviceworker', {
    timeout: UI_TIMEOUT_MS,
    predicate: (w) => w.url().startsWith('chrome-extension://'),
  });
}

function watch(page, name) {
  page.on('console', (m) => log(`${name} console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log(`${name} error: ${e.message}`));
  lastPage = page;
  return page;
}

async function openPopup(id) {
  const page = watch(await context.newPage(), 'popup');
  await page.setViewportSize({ width: 360, height: 600 });
  await page.goto(`chrome-extension://${id}/popup.html`);
  return page;
}

async function shot(page, name) {
  const path = join(env.artifacts, name);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

async function backgroundState() {
  const worker = await extensionWorker();
  return worker.evaluate(() => globalThis.magnetcast.state());
}

const DECOY_HASH = 'd'.repeat(40);

/**
 * What a web page can try against magnetcast without the user: synthetic clicks on a magnet
 * link (untrusted events), navigating to a magnet: URI by script (no gesture), and reading or
 * driving the daemon's control API (it knows the port; it cannot know the token).
 */
async function hostilePage(origin) {
  const { port } = JSON.parse(readFileSync(join(process.env.MAGNETCAST_HOME, 'run', 'daemon.json'), 'utf8'));
  const decoy = `magnet:?xt=urn:btih:${DECOY_HASH}&dn=decoy`;
  // Its own tab: a blocked magnet: launch must not change the page the user clicks in later.
  const page = watch(await context.newPage(), 'hostile');
  await page.goto(`${origin}/?hostile`);
  const seen = await page.evaluate(
    async ({ port, decoy }) => {
      const link = Object.assign(document.createElement('a'), { id: 'decoy', href: decoy, textContent: 'decoy' });
      document.body.append(link);
      link.click();
      link.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, view: window }));
      let fetchRead = false;
      for (const path of ['/api/v1/torrents', '/api/v1/devices']) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}${path}`);
          fetchRead ||= r.ok;
        } catch {
          // Refused or blocked: what we want.
        }
      }
      const wsOpened = await new Promise((done) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`);
        ws.onopen = () => {
          ws.send(JSON.stringify({ v: 1, id: 1, cmd: 'add', source: decoy }));
          done(true);
        };
        ws.onerror = () => done(false);
        ws.onclose = () => done(false);
      });
      return { fetch_read: fetchRead, ws_opened: wsOpened };
    },
    { port, decoy },
  );
  // Script navigation to magnet:, without a gesture.
  await page
    .evaluate((d) => {
      location.href = d;
    }, decoy)
    .catch((e) => log(`navigation by script: ${e.message}`));
  await page.close();
  log(`hostile page: ${JSON.stringify(seen)}`);
  return seen;
}

async function main() {
  for (const [name, value] of Object.entries({ MC_PROFILE: env.profile, MC_MAGNET: env.magnet, MC_TORRENT_FILE: env.torrentFile })) {
    if (!value) throw new Error(`${name} is required`);
  }
  mkdirSync(env.artifacts, { recursive: true });
  const site = await startSite(readFileSync(env.torrentFile));
  log(`test site at ${site.origin}`);

  context = await chromium.launchPersistentContext(env.profile, {
    executablePath: env.chromium,
    headless: false,
    args: [
      '--headless=new',
      `--disable-extensions-except=${env.extension}`,
      `--load-extension=${env.extension}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: process.env,
    timeout: 60_000,
  });

  const worker = await extensionWorker();
  worker.on?.('console', (m) => log(`background console.${m.type()}: ${m.text()}`));
  const id = new URL(worker.url()).host;
  log(`extension ${id} at ${worker.url()}`);
  if (id !== CHROME_ID) throw new Error(`extension id is ${id}, expected ${CHROME_ID} (is the manifest key in dist/chrome?)`);

  // 1. Not installed.
  let popup = await openPopup(id);
  await popup.waitForSelector('#app[data-state="not-installed"] #install-command', { state: 'visible', timeout: UI_TIMEOUT_MS });
  const command = await popup.textContent('#install-command');
  if (!command.includes('magnetcast install')) throw new Error(`install command shows ${JSON.stringify(command)}`);
  await shot(popup, 'popup-not-installed.png');
  emit({ step: 'not_installed', extension_id: id });
  await waitForParent('not_installed');

  // 2. Connected, nothing yet.
  await popup.click('#retry');
  await popup.waitForSelector('#app[data-state="empty"] #empty', { state: 'visible', timeout: UI_TIMEOUT_MS });
  await shot(popup, 'popup-empty.png');
  emit({ step: 'connected' });

  // 3. First what a hostile page can do on its own, then a trusted click on the magnet link.
  const attacks = await hostilePage(site.origin);
  const page = watch(await context.newPage(), 'site');
  await page.goto(`${site.origin}/`);
  await page.click('#magnet');
  // The content script sends the link to the background, which shows it as pending (magnet
  // metadata can take a while) or already as a torrent; the popup, still open, lists it either
  // way. If it never does, the background's state tells why.
  await popup
    .waitForSelector('[data-testid="pending"], [data-testid="torrent"]', { state: 'attached', timeout: UI_TIMEOUT_MS })
    .catch((e) => log(`the popup lists nothing: ${e.message}`));
  const clicked = await backgroundState();
  if (clicked.pending.length === 0 && clicked.torrents.length === 0) {
    throw new Error(clicked.error ? `the magnet click failed: ${clicked.error.message}` : 'the click on #magnet did not reach the extension');
  }
  // The page's attempts came before the real click, in the same order through the same path:
  // had one been forwarded, the background would hold its torrent by now.
  attacks.decoy_cast = JSON.stringify(clicked).includes(DECOY_HASH);
  emit({ step: 'magnet_clicked', page: `${site.origin}/`, attacks });
  await waitForParent('magnet_clicked');

  // 4. The context menu's handler on the cookie-protected .torrent link, in the page's tab.
  const torrentUrl = `${site.origin}/private/file.torrent`;
  const cast = await withTimeout(
    (await extensionWorker()).evaluate(
      async ({ url, origin }) => {
        const tabs = await chrome.tabs.query({});
        const tab = tabs.find((t) => t.url?.startsWith(origin));
        try {
          const result = await globalThis.magnetcast.castLink(url, tab);
          return { ok: true, torrent: result?.torrent ?? null };
        } catch (e) {
          return { ok: false, error: e?.message ?? String(e) };
        }
      },
      { url: torrentUrl, origin: site.origin },
    ),
    CAST_TIMEOUT_MS,
    'castLink on the .torrent URL did not finish',
  );
  log(`castLink: ${JSON.stringify(cast)}; torrent requests: ${site.seen.torrentRequests}`);
  if (!cast.ok) throw new Error(`castLink(${torrentUrl}) failed: ${cast.error} (cookie_sent=${site.seen.cookieSent})`);
  emit({ step: 'torrent_link_cast', cookie_sent: site.seen.cookieSent, torrent: cast.torrent });
  await waitForParent('torrent_link_cast');

  // 5. The popup shows the download and the player; pause from it.
  await popup.close();
  popup = await openPopup(id);
  const progress = await popup.waitForFunction(
    () => {
      const bars = [...document.querySelectorAll('[data-testid="torrent"] progress[data-testid="progress"]')];
      const pause = document.querySelector('#pause');
      const visible = pause && !pause.disabled && pause.offsetParent !== null && pause.textContent.trim() === 'Pause';
      // Every torrent's bar has moved: the popup follows live progress, not just the first event.
      const least = Math.min(...bars.map((b) => b.value));
      return bars.length > 0 && least > 0 && visible ? { torrents: bars.length, progress: least } : null;
    },
    null,
    { timeout: UI_TIMEOUT_MS, polling: 200 },
  );
  const seen = await progress.jsonValue();
  await shot(popup, 'popup-playing.png');
  await popup.click('#pause');
  emit({ step: 'pause_clicked', torrents: seen.torrents, progress: seen.progress });
  await waitForParent('pause_clicked');

  // 6. The TV reported PAUSED: the toggle offers Play.
  await popup.waitForFunction(
    () => document.querySelector('#pause')?.textContent.trim() === 'Play' && document.querySelector('#player')?.dataset.playerState === 'PAUSED',
    null,
    { timeout: UI_TIMEOUT_MS, polling: 200 },
  );
  await shot(popup, 'popup-paused.png');
  emit({ step: 'paused' });

  // 7. A link the daemon cannot use: its own error message reaches the popup.
  const dud = 'magnet:?xt=urn:btih:c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00&dn=Nobody%20seeds%20this&x.pe=127.0.0.1:9';
  const refused = await withTimeout(
    (await extensionWorker()).evaluate(async (url) => {
      try {
        await globalThis.magnetcast.castLink(url);
        return { ok: true };
      } catch (e) {
        return { ok: false, error: e?.message ?? String(e) };
      }
    }, dud),
    CAST_TIMEOUT_MS,
    'castLink on the dud magnet did not finish',
  );
  if (refused.ok) throw new Error('the daemon accepted a magnet nobody seeds');
  const shown = await popup.waitForFunction(
    () => {
      const box = document.querySelector('#error');
      // The daemon takes the failed magnet off the list again.
      const listed = [...document.querySelectorAll('[data-testid="torrent"]')].some((r) => r.textContent.includes('Nobody seeds this'));
      return box && !box.hidden && !listed ? document.querySelector('#error-message')?.textContent.trim() : null;
    },
    null,
    { timeout: UI_TIMEOUT_MS, polling: 200 },
  );
  const errorText = await shown.jsonValue();
  await shot(popup, 'popup-error.png');
  emit({ step: 'daemon_error', rejected: refused.error, shown: errorText });

  await context.close();
  site.server.close();
}

async function fail(error) {
  log(error?.stack ?? String(error));
  emit({ step: 'error', message: error?.message ?? String(error) });
  try {
    if (lastPage && !lastPage.isClosed()) await withTimeout(shot(lastPage, 'failure.png'), 10_000, 'screenshot timed out');
  } catch (e) {
    log(`no failure screenshot: ${e.message}`);
  }
  try {
    await withTimeout(context?.close() ?? Promise.resolve(), 10_000, 'close timed out');
  } catch {
    // Exiting kills the browser anyway.
  }
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => fail(new Error(`stopped by ${signal}`)));
}

main().then(
  () => process.exit(0),
  (e) => fail(e),
);
