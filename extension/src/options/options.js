// Options page: the daemon's settings (through the background, so the CLI reads the same
// config.toml) and the browser-only "catch magnet clicks" switch (extension storage).

import { cacheUsageText, changedSettings, formToSettings, settingsToForm } from './form.js';
import { ext } from '../lib/browser.js';
import { STORAGE_KEYS } from '../lib/messages.js';
import { commands } from '../lib/protocol.js';
import { connectBackground } from '../lib/ui-client.js';
import { pageStatus } from '../popup/model.js';

const $ = (id) => document.getElementById(id);
const form = $('settings-form');
/** The form's fields are named as settingsToForm names its values. */
const FIELD_NAMES = Object.keys(settingsToForm());
const field = (name) => form.elements[name];
const isBox = (name) => field(name).type === 'checkbox';
/** A field's value as settingsToForm gives it: `checked` for a checkbox, else the text. */
const readField = (name) => (isBox(name) ? field(name).checked : field(name).value);
function writeField(name, value) {
  if (isBox(name)) field(name).checked = value;
  else field(name).value = value;
}
/** A field that can be wrong has a `<p id="<its id>-error">` for the message. */
const errorBox = (name) => $(`${field(name).id}-error`);
const CHECKED_FIELDS = FIELD_NAMES.filter((name) => errorBox(name));

let original = null;
let loadedFor = false;

function status(id, text, kind = '') {
  $(id).textContent = text;
  $(id).dataset.kind = kind;
}

function fill(settings) {
  original = settings;
  const values = settingsToForm(settings);
  ensureInterfaceOption(values.bind_interface);
  for (const name of FIELD_NAMES) writeField(name, values[name]);
}

/** How full the streaming cache is, from `status` (fetched when the page loads and after a new limit is saved). */
async function showCache() {
  let text = '';
  try {
    text = cacheUsageText((await client.call('send', commands.status()))?.cache);
  } catch {
    // The line stays away; the settings still work.
  }
  $('cache-usage').textContent = text;
  $('cache-usage').hidden = !text;
}

/** A configured interface that is not up right now must still show (and stay selected). */
function ensureInterfaceOption(name) {
  const select = $('bind-interface');
  if (!name || [...select.options].some((o) => o.value === name)) return;
  const option = document.createElement('option');
  option.value = name;
  option.textContent = `${name} (not present now)`;
  select.append(option);
}

function fillInterfaces(interfaces) {
  const select = $('bind-interface');
  const current = select.value;
  select.replaceChildren(select.options[0]);
  for (const i of interfaces) {
    const option = document.createElement('option');
    option.value = i.name;
    option.textContent = i.addresses?.length ? `${i.name} (${i.addresses.join(', ')})` : i.name;
    select.append(option);
  }
  ensureInterfaceOption(current);
  select.value = current;
}

/** State arrives up to 10 times a second; the list is rebuilt only when the devices change. */
function fillDevices(devices) {
  const list = $('device-list');
  const signature = JSON.stringify(devices.map((d) => [d.name, d.model ?? null]));
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren(
    ...devices.map((d) => {
      const option = document.createElement('option');
      option.value = d.name;
      option.label = d.model ? `${d.name} (${d.model})` : d.name;
      return option;
    }),
  );
}

const client = connectBackground({
  onState(state) {
    $('options').dataset.state = state.host.state;
    fillDevices(state.devices);
    if (state.host.state === 'connected') {
      if (!loadedFor) {
        loadedFor = true;
        load();
      }
    } else {
      loadedFor = false;
      $('daemon-fields').disabled = true;
      const { text, kind } = pageStatus(state.host);
      status('daemon-status', text, kind);
    }
  },
});

async function load() {
  status('daemon-status', 'Loading…');
  try {
    const [settings, interfaces] = await Promise.all([
      client.call('send', commands.settingsGet()),
      client.call('send', commands.interfaces()).catch(() => ({ interfaces: [] })),
    ]);
    fillInterfaces(interfaces?.interfaces ?? []);
    fill(settings);
    $('daemon-fields').disabled = false;
    status('daemon-status', 'Saved in magnetcast’s config.toml; the command line uses the same settings.');
    showCache();
    client.call('discoverDevices').catch(() => {});
  } catch (e) {
    loadedFor = false;
    status('daemon-status', `Could not load the settings: ${e.message}`, 'error');
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  // A number field holding text reports an empty value, which would read as "unset" and clear the
  // setting: it goes through as text that is no number, so the field's own message shows.
  const values = Object.fromEntries(FIELD_NAMES.map((name) => [name, field(name).validity.badInput ? 'not a number' : readField(name)]));
  const { settings, errors } = formToSettings(values);
  for (const name of CHECKED_FIELDS) {
    errorBox(name).textContent = errors[name] ?? '';
    field(name).setAttribute('aria-invalid', String(Boolean(errors[name])));
  }
  const invalid = Object.keys(errors);
  if (invalid.length) {
    status('save-status', 'Fix the marked fields.', 'error');
    field(invalid[0]).focus();
    return;
  }
  const changes = changedSettings(settings, original ?? {});
  if (Object.keys(changes).length === 0) {
    status('save-status', 'Nothing changed.', 'ok');
    return;
  }
  $('save').disabled = true;
  status('save-status', 'Saving…');
  try {
    fill(await client.call('send', commands.settingsSet(changes)));
    status('save-status', 'Saved.', 'ok');
    if ('cache_limit' in changes) showCache();
  } catch (e) {
    // The daemon's message names the key and the problem (e.g. an unknown interface).
    status('save-status', `Not saved: ${e.message}`, 'error');
  } finally {
    $('save').disabled = false;
  }
});

const catchBox = $('catch-clicks');
ext.storage.local.get(STORAGE_KEYS.catchClicks).then((saved) => {
  catchBox.checked = saved?.[STORAGE_KEYS.catchClicks] !== false;
});
catchBox.addEventListener('change', async () => {
  try {
    await ext.storage.local.set({ [STORAGE_KEYS.catchClicks]: catchBox.checked });
    status('catch-status', catchBox.checked ? 'Magnet links are cast when clicked.' : 'Magnet links open as usual.', 'ok');
  } catch (e) {
    status('catch-status', `Not saved: ${e.message}`, 'error');
  }
});
