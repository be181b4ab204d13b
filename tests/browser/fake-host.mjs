#!/usr/bin/env node
// A stand-in for the `magnetcast` native host, for exercising the extension and e2e.mjs without
// the Rust build (see smoke.mjs). It speaks the same framed protocol (u32 length in native byte
// order + JSON) and answers every command with data shaped like the daemon's, simulating a
// download that streams to one TV. It is a test double: nothing is downloaded or cast.

import { createHash } from 'node:crypto';

const MiB = 1024 * 1024;
const log = (...a) => process.stderr.write(`[fake-host] ${a.join(' ')}\n`);

const settings = {
  download_dir: null,
  listen_port: 0,
  listen_host: null,
  dht: true,
  local_discovery: true,
  upnp: true,
  trackers: [],
  stream_host: null,
  stream_port: 0,
  metadata_timeout_secs: 60,
  default_device: null,
  devices: [],
  idle_exit_secs: 300,
  bind_interface: null,
  seed_ratio: null,
  seed_time_secs: null,
};
const DEVICE = { name: 'Fake TV', model: 'Chromecast (fake)', id: 'fake-tv-1', addr: '127.0.0.1:8009', group: false };
const torrents = new Map();
const casts = new Map();

function send(message) {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  process.stdout.write(Buffer.concat([header, body]));
}
const event = (e) => send({ v: 1, ...e });

function newTorrent(hash, name) {
  const files = [
    { index: 0, path: `${name}/${name}.mp4`, length: 48 * MiB, kind: 'video' },
    { index: 1, path: `${name}/subs.srt`, length: 40_000, kind: 'subtitle' },
  ];
  const t = {
    hash,
    name,
    files,
    selected: 0,
    downloaded: 0,
    state: 'initializing',
    token: createHash('sha1').update(hash).digest('hex').slice(0, 16),
  };
  torrents.set(hash, t);
  return t;
}

const describe = (t) => ({
  torrent: t.hash,
  name: t.name,
  file: t.files[t.selected],
  file_count: t.files.length,
  stream_url: `http://127.0.0.1:9/s/${t.token}/${encodeURIComponent(t.files[t.selected].path.split('/').pop())}`,
});

const progress = (t) => {
  const total = t.files[t.selected].length;
  return {
    torrent: t.hash,
    state: t.state,
    reason: null,
    ratio: 0,
    downloaded: t.downloaded,
    total,
    uploaded: 0,
    down_bps: t.downloaded < total ? 6 * MiB : 0,
    up_bps: 0,
    peers: 3,
    buffered_ahead: Math.max(0, t.downloaded - 4 * MiB),
    streams: casts.size,
    finished: false,
    active_secs: 1,
    seeding_secs: 0,
  };
};

function castStatus(device, patch) {
  const c = { device, link: 'connected', reason: null, app: 'Default Media Receiver', player_state: null, position: 0, duration: 120, volume: 0.5, muted: false, idle_reason: null, media_url: null, ...casts.get(device), ...patch };
  casts.set(device, c);
  event({ event: 'cast', ...c });
  return c;
}

function startDownload(t) {
  const total = t.files[t.selected].length;
  const timer = setInterval(() => {
    t.downloaded = Math.min(total, t.downloaded + 2 * MiB);
    t.state = t.downloaded < total ? (casts.size ? 'streaming' : 'downloading') : 'seeding';
    event({ event: 'progress', ...progress(t) });
    if (t.downloaded >= total) {
      clearInterval(timer);
      event({ event: 'completed', torrent: t.hash });
    }
  }, 250);
}

function cast(t, device) {
  const url = describe(t).stream_url;
  castStatus(device, { link: 'connecting', app: null, player_state: null, media_url: null });
  setTimeout(() => castStatus(device, { link: 'connected', player_state: 'BUFFERING', media_url: url, position: 0 }), 300);
  setTimeout(() => castStatus(device, { player_state: 'PLAYING' }), 1200);
  return { device, stream_url: url };
}

setInterval(() => {
  for (const [device, c] of casts) {
    if (c.player_state === 'PLAYING') castStatus(device, { position: Math.min(c.duration, c.position + 1) });
  }
}, 1000);

function hashOf(source, base64) {
  const m = /xt=urn:btih:([0-9a-f]{40})/i.exec(source ?? '');
  if (m) return m[1].toLowerCase();
  return createHash('sha1').update(source ?? base64).digest('hex');
}

function handle(req) {
  const fail = (code, message) => send({ v: 1, id: req.id, ok: false, error: { code, message } });
  const ok = (result) => send({ v: 1, id: req.id, ok: true, result });
  const device = req.device ?? [...casts.keys()].at(-1);
  switch (req.cmd) {
    case 'status':
      return ok({ torrents: [...torrents.values()].map(progress), casts: [...casts.values()] });
    case 'list':
      return ok({ total: torrents.size, offset: 0, torrents: [...torrents.values()].map(describe) });
    case 'settings_get':
      return ok(settings);
    case 'settings_set':
      if (req.settings.bind_interface === 'nope0') return fail('bad_request', 'key `bind_interface`: no network interface named nope0');
      Object.assign(settings, req.settings);
      return ok(settings);
    case 'interfaces':
      return ok({ interfaces: [{ name: 'lo', addresses: ['127.0.0.1', '::1'] }, { name: 'wg0', addresses: ['10.64.0.2'] }] });
    case 'devices':
      return setTimeout(() => ok({ devices: [DEVICE] }), 300);
    case 'add': {
      const dn = /[?&]dn=([^&]*)/.exec(req.source ?? '');
      const name = dn ? decodeURIComponent(dn[1].replace(/\+/g, ' ')) : 'Private Film';
      const hash = hashOf(req.source, req.torrent_base64);
      const existing = torrents.get(hash);
      const t = existing ?? newTorrent(hash, name);
      if (!existing) {
        event({ event: 'added', torrent: hash, name: null });
        if (req.source) event({ event: 'progress', ...progress(t), state: 'fetching_metadata', total: 0, buffered_ahead: 0 });
        setTimeout(() => {
          event({ event: 'metadata', torrent: hash, name, files: t.files, file_count: t.files.length, selected: t.selected });
          startDownload(t);
          const result = describe(t);
          if (req.device) result.cast = cast(t, req.device);
          ok(result);
        }, 800);
        return undefined;
      }
      const result = describe(t);
      if (req.device) result.cast = cast(t, req.device);
      return ok(result);
    }
    case 'play': {
      const t = torrents.get(req.torrent);
      if (!t) return fail('not_found', `unknown torrent ${req.torrent}`);
      return ok(cast(t, req.device ?? DEVICE.name));
    }
    case 'pause':
    case 'resume':
      if (!casts.has(device)) return fail('cast', `cast: not casting to ${req.device ?? 'any device'}`);
      setTimeout(() => castStatus(device, { player_state: req.cmd === 'pause' ? 'PAUSED' : 'PLAYING' }), 200);
      return ok({ device });
    case 'seek': {
      const c = casts.get(device);
      if (!c) return fail('cast', 'cast: not casting to any device');
      const position = req.seconds ?? Math.max(0, c.position + req.by);
      setTimeout(() => castStatus(device, { position }), 100);
      return ok({ device });
    }
    case 'volume': {
      if (!casts.has(device)) return fail('cast', 'cast: not casting to any device');
      const patch = {};
      if (req.level !== undefined) patch.volume = req.level / 100;
      if (req.muted !== undefined) patch.muted = req.muted;
      setTimeout(() => castStatus(device, patch), 100);
      return ok({});
    }
    case 'stop':
      if (!casts.has(device)) return fail('cast', 'cast: not casting to any device');
      casts.delete(device);
      event({ event: 'cast', device, link: 'closed', reason: null, app: null, player_state: null, position: null, duration: null, volume: null, muted: null, idle_reason: null, media_url: null });
      return ok({ device });
    case 'files': {
      const t = torrents.get(req.torrent);
      if (!t) return fail('not_found', `unknown torrent ${req.torrent}`);
      return ok({ total: t.files.length, offset: 0, selected: t.selected, files: t.files });
    }
    case 'select_file': {
      const t = torrents.get(req.torrent);
      if (!t) return fail('not_found', `unknown torrent ${req.torrent}`);
      t.selected = req.file;
      return ok(describe(t));
    }
    case 'remove':
      torrents.delete(req.torrent);
      event({ event: 'removed', torrent: req.torrent, files_deleted: Boolean(req.delete_files) });
      return ok({});
    default:
      return fail('unknown_command', `unknown command "${req.cmd}"`);
  }
}

let buffer = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4) {
    const length = buffer.readUInt32LE(0);
    if (buffer.length < 4 + length) break;
    const text = buffer.subarray(4, 4 + length).toString('utf8');
    buffer = buffer.subarray(4 + length);
    let req;
    try {
      req = JSON.parse(text);
    } catch {
      send({ v: 1, id: 0, ok: false, error: { code: 'bad_request', message: 'not JSON' } });
      continue;
    }
    log(`<- ${req.cmd} ${req.id}${req.torrent_base64 ? ` (${req.torrent_base64.length} base64 chars)` : ''}`);
    handle(req);
  }
});
process.stdin.on('end', () => process.exit(0));
