import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { protocolValidators } from './helpers/schema.mjs';
import { changedSettings, formToSettings, settingsToForm } from '../src/options/form.js';
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
});
