#!/usr/bin/env node
// Runs e2e.mjs as its parent would, with fake-host.mjs in place of the real native host: checks
// the extension end to end in Chromium (popup states, the caught click, the cookie-carrying
// .torrent fetch, pause) without building the Rust code. The real test, with the daemon, a seeder
// and a test Cast receiver, is the Rust side's; this one only proves the browser half.
//
//   (cd extension && npm ci && npm run build) && node tests/browser/smoke.mjs
//
// Screenshots land in $MC_ARTIFACTS (default: a temporary folder, printed at the end).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'magnetcast-smoke-'));
const profile = join(work, 'profile');
const artifacts = process.env.MC_ARTIFACTS || join(work, 'artifacts');
const torrentFile = join(work, 'film.torrent');
writeFileSync(torrentFile, 'd4:infod6:lengthi1024e4:name8:film.mp412:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee');
const hostPath = join(here, 'fake-host.mjs');
chmodSync(hostPath, 0o755);

const driver = spawn(process.execPath, [join(here, 'e2e.mjs')], {
  env: {
    ...process.env,
    MC_PROFILE: profile,
    MC_MAGNET: 'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Big+Buck+Bunny',
    MC_TORRENT_FILE: torrentFile,
    MC_ARTIFACTS: artifacts,
  },
  stdio: ['pipe', 'pipe', 'inherit'],
});

const expected = ['not_installed', 'connected', 'magnet_clicked', 'torrent_link_cast', 'pause_clicked', 'paused'];
const seen = [];
let failure = null;
const timer = setTimeout(() => {
  failure = 'the driver took more than 3 minutes';
  driver.kill('SIGTERM');
}, 180_000);

createInterface({ input: driver.stdout }).on('line', (line) => {
  console.log(`driver: ${line}`);
  const message = JSON.parse(line);
  seen.push(message.step);
  switch (message.step) {
    case 'not_installed': {
      const dir = join(profile, 'NativeMessagingHosts');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'org.magnetcast.host.json'),
        JSON.stringify({
          name: 'org.magnetcast.host',
          description: 'magnetcast (fake, for the smoke test)',
          path: hostPath,
          type: 'stdio',
          allowed_origins: [`chrome-extension://${message.extension_id}/`],
        }),
      );
      driver.stdin.write('installed\n');
      break;
    }
    case 'torrent_link_cast':
      if (message.cookie_sent !== true) failure = 'the .torrent request did not carry the page cookie';
      driver.stdin.write('go\n');
      break;
    case 'magnet_clicked':
    case 'pause_clicked':
      driver.stdin.write('go\n');
      break;
    case 'error':
      failure = message.message;
      break;
    default:
      break;
  }
});

driver.on('exit', (code) => {
  clearTimeout(timer);
  const complete = expected.every((s, i) => seen[i] === s);
  if (code !== 0 || !complete || failure) {
    console.error(`smoke: FAILED (exit ${code}; steps ${seen.join(', ')}${failure ? `; ${failure}` : ''})`);
    process.exit(1);
  }
  console.log(`smoke: OK; screenshots in ${artifacts}`);
});
