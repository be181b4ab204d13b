import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { protocolValidators, schema } from './helpers/schema.mjs';
import { COMMANDS, DaemonError, SETTINGS_KEYS, classify, commands, request } from '../src/lib/protocol.js';

const v = protocolValidators();

function assertValidRequest(message) {
  assert.ok(v.request(message), `${JSON.stringify(message)}: ${v.errors(v.request)}`);
}

const MAGNET = 'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Sample';

/** One message per builder, with every optional field the extension ever sets. */
const SAMPLES = {
  add: [
    commands.add({ source: MAGNET }),
    commands.add({ source: MAGNET, device: 'Living Room TV', file: 2 }),
    commands.add({ torrentBase64: 'ZDQ6aW5mb2Rl', device: '192.168.1.40:8009', file: 'film.mkv' }),
  ],
  list: [commands.list(), commands.list({ offset: 100, limit: 100 })],
  status: [commands.status(), commands.status({ torrent: 'c9e15763f722f23e98a29decdfae341b98d53056' })],
  files: [commands.files({ torrent: 'abc', limit: 100 }), commands.files({ torrent: 'abc', offset: 100 })],
  select_file: [commands.selectFile({ torrent: 'abc', file: 1 })],
  play: [commands.play({ torrent: 'abc' }), commands.play({ torrent: 'abc', device: 'TV' }), commands.play({ torrent: 'abc', device: 'TV', subtitles: 2 })],
  pause: [commands.pause(), commands.pause({ device: 'TV' })],
  resume: [commands.resume({ device: 'TV' })],
  seek: [commands.seek({ by: -30, device: 'TV' }), commands.seek({ seconds: 90.5 })],
  volume: [commands.volume({ level: 40, device: 'TV' }), commands.volume({ muted: true }), commands.volume({ level: 150, muted: false })],
  stop: [commands.stop(), commands.stop({ device: 'TV' })],
  subtitles: [commands.subtitles({ track: 1, device: 'TV' }), commands.subtitles({ device: 'TV' }), commands.subtitles({ track: 0 }), commands.subtitles()],
  subtitles_add: [commands.subtitlesAdd({ torrent: 'abc', path: '/home/ann/Film.en.srt' })],
  set_seeding: [commands.setSeeding({ torrent: 'abc', ratio: 2, timeSecs: 3600 }), commands.setSeeding({ torrent: 'abc', followConfig: true })],
  keep: [commands.keep({ torrent: 'c9e15763f722f23e98a29decdfae341b98d53056' })],
  remove: [commands.remove({ torrent: 'abc' }), commands.remove({ torrent: 'abc', deleteFiles: true })],
  devices: [commands.devices(), commands.devices({ timeoutSecs: 3 })],
  settings_get: [commands.settingsGet()],
  settings_set: [
    commands.settingsSet({ seed_ratio: 1.5, bind_interface: null, download_dir: '/media/films' }),
    commands.settingsSet({ cache_limit: 2_500_000_000, cache_dir: '/media/cache', stay_awake: false }),
    commands.settingsSet({ cache_limit: null, cache_dir: null, stay_awake: true }),
    commands.settingsSet({ subtitle_language: 'en', audio_passthrough: true }),
    commands.settingsSet({ subtitle_language: null, audio_passthrough: false }),
  ],
  interfaces: [commands.interfaces()],
};

describe('request builders', () => {
  it('cover every command the schema defines', () => {
    const inSchema = schema.$defs.Request.oneOf.map((branch) => branch.properties.cmd.const).sort();
    assert.deepEqual([...COMMANDS].sort(), inSchema);
    assert.deepEqual(Object.keys(SAMPLES).sort(), inSchema);
  });

  for (const [cmd, bodies] of Object.entries(SAMPLES)) {
    it(`${cmd}: every message validates against protocol.schema.json`, () => {
      bodies.forEach((body, i) => {
        assert.equal(body.cmd, cmd);
        assertValidRequest(request(i + 1, body));
      });
    });
  }

  it('the strict validator really rejects unknown and misspelt fields', () => {
    assert.equal(v.request({ v: 1, id: 1, cmd: 'pause', devise: 'TV' }), false);
    assert.equal(v.request({ v: 1, id: 1, cmd: 'add', torrentBase64: 'x' }), false);
    assert.equal(v.request({ v: 1, id: 1, cmd: 'seek', by: '30' }), false);
  });

  it('leave unset options out instead of sending nulls or undefined', () => {
    assert.deepEqual(request(7, commands.add({ source: MAGNET })), { v: 1, id: 7, cmd: 'add', source: MAGNET });
    assert.deepEqual(commands.seek({ by: 30 }), { cmd: 'seek', by: 30 });
    assert.deepEqual(commands.pause({ device: null }), { cmd: 'pause' });
  });

  it('keep names only the torrent, as the daemon takes it', () => {
    assert.deepEqual(request(3, commands.keep({ torrent: 'abc' })), { v: 1, id: 3, cmd: 'keep', torrent: 'abc' });
    // The extension's adds stream through the cache: `keep` is the user's later choice.
    assert.equal('keep' in commands.add({ source: MAGNET }), false);
  });

  it('subtitles: a track id turns it on, no track turns every one off', () => {
    assert.deepEqual(request(4, commands.subtitles({ track: 2, device: 'TV' })), { v: 1, id: 4, cmd: 'subtitles', track: 2, device: 'TV' });
    assert.deepEqual(commands.subtitles({ track: null, device: 'TV' }), { cmd: 'subtitles', device: 'TV' });
    assert.deepEqual(commands.subtitles({ track: 0 }), { cmd: 'subtitles', track: 0 });
    assert.deepEqual(commands.play({ torrent: 'abc', subtitles: null }), { cmd: 'play', torrent: 'abc' });
    assert.deepEqual(commands.play({ torrent: 'abc', device: 'TV', subtitles: 3 }), { cmd: 'play', torrent: 'abc', device: 'TV', subtitles: 3 });
    // A track as text (what a <select> holds) is a mistake the schema would catch too.
    assert.equal(v.request({ v: 1, id: 1, cmd: 'subtitles', track: '2' }), false);
  });

  it('send add.file as a string, as the daemon takes an index or a name', () => {
    assert.equal(commands.add({ source: MAGNET, file: 0 }).file, '0');
  });

  it('clamp the volume to 0-100 like the daemon', () => {
    assert.equal(commands.volume({ level: 150 }).level, 100);
    assert.equal(commands.volume({ level: -5 }).level, 0);
  });

  it('refuse what the daemon would refuse', () => {
    assert.throws(() => commands.add({}), /exactly one of source and torrentBase64/);
    assert.throws(() => commands.add({ source: MAGNET, torrentBase64: 'eA==' }), /exactly one/);
    assert.throws(() => commands.seek({}), /exactly one of seconds and by/);
    assert.throws(() => commands.seek({ seconds: 10, by: 5 }), /exactly one/);
    assert.throws(() => commands.volume({}), /level \(0-100\) or muted/);
    assert.throws(() => commands.selectFile({ torrent: 'abc', file: -1 }), /file index/);
    assert.throws(() => commands.play({}), /needs a torrent/);
    assert.throws(() => commands.keep({}), /keep needs a torrent/);
    assert.throws(() => commands.subtitles({ track: '2' }), /track must be a track id/);
    assert.throws(() => commands.subtitles({ track: -1 }), /track must be a track id/);
    assert.throws(() => commands.subtitles({ track: 2 ** 32 }), /track must be a track id/);
    assert.throws(() => commands.play({ torrent: 'abc', subtitles: 1.5 }), /subtitles must be a track id/);
    assert.throws(() => commands.subtitlesAdd({ torrent: 'abc' }), /needs a file path/);
    assert.throws(() => commands.settingsSet({ listen_port: 1 }), /not a browser setting: listen_port/);
    assert.throws(() => request(0, commands.list()), /positive integers/);
    assert.throws(() => request(1, { cmd: 'launch_missiles' }), /unknown command/);
  });

  it('name only settings that exist in config.toml', () => {
    const config = readFileSync(new URL('../../native-host/src/config.rs', import.meta.url), 'utf8');
    for (const key of SETTINGS_KEYS) assert.match(config, new RegExp(`pub ${key}: `), key);
  });
});

describe('classify', () => {
  it('tells replies, relay errors and events apart', () => {
    assert.deepEqual(classify({ v: 1, id: 3, ok: true, result: { a: 1 } }), { kind: 'reply', id: 3, ok: true, result: { a: 1 }, error: undefined });
    const relay = { v: 1, id: 0, ok: false, error: { code: 'internal', message: 'the magnetcast daemon went away' } };
    assert.ok(v.hostMessage(relay));
    assert.deepEqual(classify(relay), { kind: 'relay-error', error: relay.error });
    const event = { v: 1, event: 'completed', torrent: 'abc' };
    assert.ok(v.hostMessage(event));
    assert.equal(classify(event).kind, 'event');
    assert.equal(classify(null).kind, 'invalid');
    assert.equal(classify({ id: 'x', ok: true }).kind, 'invalid');
  });

  it('DaemonError keeps the code', () => {
    const e = new DaemonError('not_found', 'unknown torrent');
    assert.equal(e.code, 'not_found');
    assert.equal(e.message, 'unknown torrent');
    assert.ok(e instanceof Error);
  });
});
