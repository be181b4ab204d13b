import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { protocolValidators } from './helpers/schema.mjs';
import { cacheUsageText, changedSettings, formToSettings, settingsToForm } from '../src/options/form.js';
import { commands, request } from '../src/lib/protocol.js';

const v = protocolValidators();

/** settings_get as the daemon answers it (Config serialised: every key, unset ones null). */
const CONFIG = {
  download_dir: '/home/ann/Downloads/magnetcast',
  listen_port: 0,
  listen_host: null,
  dht: true,
  local_discovery: true,
  upnp: true,
  trackers: [],
  stream_host: null,
  stream_port: 0,
  metadata_timeout_secs: 60,
  default_device: 'Living Room TV',
  devices: [],
  idle_exit_secs: 300,
  bind_interface: null,
  seed_ratio: 2,
  seed_time_secs: 5400,
  max_active: null,
  download_limit: 400000,
  upload_limit: null,
  cache_dir: null,
  cache_limit: null,
  stay_awake: true,
  subtitle_language: null,
  audio_passthrough: false,
};

describe('options form', () => {
  it('shows the daemon settings, seeding time in minutes, unset as empty', () => {
    assert.deepEqual(settingsToForm(CONFIG), {
      download_dir: '/home/ann/Downloads/magnetcast',
      seed_ratio: '2',
      seed_time_minutes: '90',
      bind_interface: '',
      default_device: 'Living Room TV',
      stream_host: '',
      download_limit_kbs: '400',
      upload_limit_kbs: '',
      cache_dir: '',
      cache_limit_gb: '',
      stay_awake: true,
      subtitle_language: '',
      audio_passthrough: false,
    });
    assert.equal(settingsToForm({ seed_time_secs: 100 }).seed_time_minutes, '1.67');
  });

  it('unchanged fields send nothing', () => {
    const { settings, errors } = formToSettings(settingsToForm(CONFIG));
    assert.deepEqual(errors, {});
    assert.deepEqual(changedSettings(settings, CONFIG), {});
  });

  it('sends only what changed, with empty fields as null (back to the default)', () => {
    const form = { ...settingsToForm(CONFIG), seed_ratio: ' 1.5 ', seed_time_minutes: '', bind_interface: 'wg0', stream_host: ' 192.168.1.10 ', default_device: '' };
    const { settings, errors } = formToSettings(form);
    assert.deepEqual(errors, {});
    const changes = changedSettings(settings, CONFIG);
    assert.deepEqual(changes, { seed_ratio: 1.5, seed_time_secs: null, bind_interface: 'wg0', default_device: null, stream_host: '192.168.1.10' });
    assert.ok(v.request(request(1, commands.settingsSet(changes))), v.errors(v.request));
  });

  it('converts minutes to whole seconds and 0 to "do not seed"', () => {
    const { settings } = formToSettings({ seed_time_minutes: '0.5', seed_ratio: '0' });
    assert.equal(settings.seed_time_secs, 30);
    assert.equal(settings.seed_ratio, 0);
  });

  it('names the fields with bad numbers and sends none of them', () => {
    const { settings, errors } = formToSettings({ ...settingsToForm(CONFIG), seed_ratio: 'lots', seed_time_minutes: '-3' });
    assert.deepEqual(Object.keys(errors).sort(), ['seed_ratio', 'seed_time_minutes']);
    assert.match(errors.seed_ratio, /ratio such as 1\.5/);
    assert.equal(settings.seed_ratio, undefined);
    assert.ok(!('seed_ratio' in changedSettings(settings, CONFIG)));
  });

  it('bandwidth caps show in kB/s and travel in bytes per second; 0 or empty lifts them', () => {
    assert.equal(settingsToForm({ download_limit: 400000 }).download_limit_kbs, '400');
    assert.equal(settingsToForm({}).upload_limit_kbs, '');
    const { settings, errors } = formToSettings({ download_limit_kbs: '1.5', upload_limit_kbs: '0' });
    assert.deepEqual(errors, {});
    assert.equal(settings.download_limit, 1500);
    assert.equal(settings.upload_limit, null);
    const bad = formToSettings({ download_limit_kbs: 'fast' });
    assert.match(bad.errors.download_limit_kbs, /kB\/s/);
    assert.equal(bad.settings.download_limit, undefined);
    const changes = changedSettings({ download_limit: 1500, upload_limit: null }, { download_limit: null, upload_limit: null });
    assert.deepEqual(changes, { download_limit: 1500 });
    const lifted = changedSettings(formToSettings({ ...settingsToForm(CONFIG), download_limit_kbs: '' }).settings, CONFIG);
    assert.deepEqual(lifted, { download_limit: null });
    assert.ok(v.request(request(1, commands.settingsSet(lifted))), v.errors(v.request));
  });

  it('the cache limit shows in GB (decimals allowed) and travels in bytes; empty is the default', () => {
    assert.equal(settingsToForm({ cache_limit: 20_000_000_000 }).cache_limit_gb, '20');
    assert.equal(settingsToForm({ cache_limit: 2_500_000_000 }).cache_limit_gb, '2.5');
    assert.equal(settingsToForm({ cache_limit: null }).cache_limit_gb, '');
    const { settings, errors } = formToSettings({ cache_limit_gb: ' 2.5 ' });
    assert.deepEqual(errors, {});
    assert.equal(settings.cache_limit, 2_500_000_000);
    assert.equal(formToSettings({ cache_limit_gb: '' }).settings.cache_limit, null);
    // A limit set in config.toml in GiB reads back to the same bytes: an untouched field sends nothing.
    for (const bytes of [20 * 2 ** 30, 123_456_789_012, 1, 5_368_709_120]) {
      const round = formToSettings(settingsToForm({ ...CONFIG, cache_limit: bytes })).settings;
      assert.equal(round.cache_limit, bytes);
      assert.deepEqual(changedSettings(round, { ...CONFIG, cache_limit: bytes }), {});
    }
    for (const bad of ['lots', '-1', '0']) {
      const r = formToSettings({ cache_limit_gb: bad });
      assert.equal(r.errors.cache_limit_gb, 'Enter a size in GB such as 20 or 2.5, or leave it empty for the default.', bad);
      assert.equal(r.settings.cache_limit, undefined, 'nothing sent');
    }
    const changes = changedSettings(formToSettings({ ...settingsToForm(CONFIG), cache_limit_gb: '0.75' }).settings, CONFIG);
    assert.deepEqual(changes, { cache_limit: 750_000_000 });
    assert.ok(v.request(request(1, commands.settingsSet(changes))), v.errors(v.request));
    const reset = changedSettings(formToSettings({ ...settingsToForm(CONFIG), cache_limit_gb: '' }).settings, { ...CONFIG, cache_limit: 750_000_000 });
    assert.deepEqual(reset, { cache_limit: null });
  });

  it('the cache folder is text, empty for the default; staying awake is a checkbox, on by default', () => {
    const form = settingsToForm(CONFIG);
    const edited = formToSettings({ ...form, cache_dir: ' /media/cache ', stay_awake: false }).settings;
    const changes = changedSettings(edited, CONFIG);
    assert.deepEqual(changes, { cache_dir: '/media/cache', stay_awake: false });
    assert.ok(v.request(request(1, commands.settingsSet(changes))), v.errors(v.request));
    const saved = { ...CONFIG, ...changes };
    assert.deepEqual([settingsToForm(saved).cache_dir, settingsToForm(saved).stay_awake], ['/media/cache', false]);
    assert.deepEqual(changedSettings(formToSettings({ ...settingsToForm(saved), cache_dir: '' }).settings, saved), { cache_dir: null });
    // A daemon that does not name stay_awake has it on: an untouched box sends nothing.
    assert.equal(settingsToForm({}).stay_awake, true);
    assert.deepEqual(changedSettings(formToSettings(settingsToForm({})).settings, {}), {});
    // A form without the box says nothing about it.
    assert.equal(formToSettings({ seed_ratio: '1' }).settings.stay_awake, undefined);
  });

  it('the subtitle language is text, empty for off; passthrough is a checkbox, off by default', () => {
    const form = settingsToForm(CONFIG);
    const changes = changedSettings(formToSettings({ ...form, subtitle_language: ' en ', audio_passthrough: true }).settings, CONFIG);
    assert.deepEqual(changes, { subtitle_language: 'en', audio_passthrough: true });
    assert.ok(v.request(request(1, commands.settingsSet(changes))), v.errors(v.request));
    const saved = { ...CONFIG, ...changes };
    assert.deepEqual([settingsToForm(saved).subtitle_language, settingsToForm(saved).audio_passthrough], ['en', true]);
    const off = changedSettings(formToSettings({ ...settingsToForm(saved), subtitle_language: '', audio_passthrough: false }).settings, saved);
    assert.deepEqual(off, { subtitle_language: null, audio_passthrough: false });
    assert.ok(v.request(request(1, commands.settingsSet(off))), v.errors(v.request));
    // An older daemon names neither: an untouched form sends nothing.
    assert.deepEqual(settingsToForm({}).audio_passthrough, false);
    assert.deepEqual(changedSettings(formToSettings(settingsToForm({})).settings, {}), {});
    assert.equal(formToSettings({ seed_ratio: '1' }).settings.audio_passthrough, undefined);
  });

  it('words the cache use from status', () => {
    const cache = { dir: '/home/ann/.cache/magnetcast/torrents', used: 1_234_000_000, limit: 20_000_000_000, torrents: 3 };
    assert.equal(cacheUsageText(cache), 'Cache: 1.2 GB of 20 GB (3 torrents) in /home/ann/.cache/magnetcast/torrents');
    assert.equal(cacheUsageText({ ...cache, used: 350_000_000, limit: 20 * 2 ** 30, torrents: 1 }), 'Cache: 350 MB of 21.5 GB (1 torrent) in /home/ann/.cache/magnetcast/torrents');
    assert.equal(cacheUsageText(undefined), '', 'an older daemon: no line');
  });
});
