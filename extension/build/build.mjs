// npm run build: src/ → dist/chrome/ and dist/firefox/. Plain copies (the browsers load ES
// modules natively, so nothing is bundled), one generated manifest per target, rendered icons.

import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderIcon } from './icons.mjs';
import { excludedFor, manifestFor } from './manifest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const chromeKey = (await readFile(join(root, 'manifest-key.txt'), 'utf8')).trim();
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ['chrome', 'firefox'];

for (const target of targets) {
  const out = join(root, 'dist', target);
  await rm(out, { recursive: true, force: true });
  const excluded = excludedFor(target);
  await cp(src, out, {
    recursive: true,
    filter: (path) => {
      const rel = relative(src, path).split(sep).join('/');
      return !excluded.some((e) => rel === e || (e.endsWith('/') && (rel + '/').startsWith(e)));
    },
  });
  await mkdir(join(out, 'icons'), { recursive: true });
  for (const size of [16, 32, 48, 128]) {
    await writeFile(join(out, 'icons', `icon-${size}.png`), renderIcon(size));
  }
  const manifest = manifestFor(target, { version: pkg.version, chromeKey });
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`built ${relative(root, out)}`);
}
