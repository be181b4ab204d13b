import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeRuntime, FakeTimers, flush } from './helpers/fakes.mjs';
import { protocolValidators } from './helpers/schema.mjs';
import { NativePort, classifyHostError, timeoutFor } from '../src/background/native-port.js';
import { DaemonError, commands } from '../src/lib/protocol.js';

const v = protocolValidators();
const noJitter = (attempt) => 500 * 2 ** attempt;

function setup() {
  const runtime = new FakeRuntime();
  const timers = new FakeTimers();
  const port = new NativePort({ runtime, timers, backoff: noJitter, now: () => timers.now });
  const statuses = [];
  port.onStatus((s) => statuses.push(s));
  return { runtime, timers, port, statuses };
}

/** Answers the connection probe so the port counts as connected. */
async function connect({ runtime, port }) {
  port.start();
  const probe = runtime.port.sent[0];
  assert.equal(probe.cmd, 'status');
  runtime.port.reply(probe.id, { torrents: [], casts: [] });
  await flush();
  assert.equal(port.status.state, 'connected');
}

describe('host errors', () => {
  it('recognise a missing host in Chrome and Firefox wording', () => {
    assert.equal(classifyHostError('Specified native messaging host not found.'), 'not_installed');
    assert.equal(classifyHostError('No such native application org.magnetcast.host'), 'not_installed');
    assert.equal(classifyHostError('Access to the specified native messaging host is forbidden.'), 'forbidden');
    assert.equal(classifyHostError('Native host has exited.'), 'disconnected');
  });
});

describe('NativePort', () => {
  it('connects to org.magnetcast.host and is connected after the first reply', async () => {
    const s = setup();
    assert.equal(s.port.status.state, 'connecting');
    await connect(s);
    assert.deepEqual(s.runtime.hostNames, ['org.magnetcast.host']);
    assert.equal(s.statuses.at(-1).state, 'connected');
  });

  it('says "not installed" when the browser cannot find the host, and retries with backoff', async () => {
    const s = setup();
    s.port.start();
    s.runtime.port.drop(s.runtime, 'Specified native messaging host not found.');
    await flush();
    assert.equal(s.port.status.state, 'not_installed');
    assert.equal(s.port.status.message, 'Specified native messaging host not found.');
    assert.equal(s.port.status.retryAt, 500);
    assert.deepEqual(s.timers.pending, [500]);

    await s.timers.advance(500);
    assert.equal(s.runtime.ports.length, 2);
    // While retrying, the popup keeps showing the problem rather than flashing "connecting".
    assert.equal(s.port.status.state, 'not_installed');
    assert.equal(s.port.status.trying, true);
    s.runtime.port.drop(s.runtime, 'Specified native messaging host not found.');
    await flush();
    assert.deepEqual(s.timers.pending, [1000]);
  });

  it('reads Firefox port.error as well', async () => {
    const s = setup();
    s.port.start();
    s.runtime.port.error = { message: 'No such native application org.magnetcast.host' };
    s.runtime.port.drop(s.runtime, undefined);
    await flush();
    assert.equal(s.port.status.state, 'not_installed');
  });

  it('Retry connects at once and resets the backoff', async () => {
    const s = setup();
    s.port.start();
    s.runtime.port.drop(s.runtime, 'Specified native messaging host not found.');
    await s.timers.advance(500);
    s.runtime.port.drop(s.runtime, 'Specified native messaging host not found.');
    await flush();
    assert.equal(s.runtime.ports.length, 2);

    s.port.reconnectNow();
    assert.equal(s.runtime.ports.length, 3);
    s.runtime.port.reply(s.runtime.port.sent[0].id, {});
    await flush();
    assert.equal(s.port.status.state, 'connected');
    assert.equal(s.port.status.attempts, 0);
    assert.deepEqual(s.timers.pending, []);
  });

  it('correlates replies by id, whatever their order', async () => {
    const s = setup();
    await connect(s);
    const a = s.port.request(commands.list());
    const b = s.port.request(commands.devices({ timeoutSecs: 2 }));
    const [ra, rb] = s.runtime.port.sent.slice(1);
    for (const message of [ra, rb]) assert.ok(v.request(message), v.errors(v.request));
    assert.notEqual(ra.id, rb.id);
    s.runtime.port.reply(rb.id, { devices: [] });
    s.runtime.port.reply(ra.id, { total: 0, offset: 0, torrents: [] });
    assert.deepEqual(await a, { total: 0, offset: 0, torrents: [] });
    assert.deepEqual(await b, { devices: [] });
  });

  it('rejects with the daemon error code and message', async () => {
    const s = setup();
    await connect(s);
    const p = s.port.request(commands.seek({ by: -30 }));
    const sent = s.runtime.port.sent.at(-1);
    s.runtime.port.fail(sent.id, 'cast', 'cast: not casting to any device');
    await assert.rejects(p, (e) => e instanceof DaemonError && e.code === 'cast' && e.message === 'cast: not casting to any device');
  });

  it('times a request out and ignores its late reply', async () => {
    const s = setup();
    await connect(s);
    const p = s.port.request(commands.status(), { timeoutMs: 2000 });
    const sent = s.runtime.port.sent.at(-1);
    const outcome = p.catch((e) => e);
    await s.timers.advance(2000);
    const error = await outcome;
    assert.equal(error.code, 'timeout');
    assert.match(error.message, /status: no answer from magnetcast in 2 s/);
    s.runtime.port.reply(sent.id, {});
    await flush();
  });

  it('gives each command its own timeout unless the caller sets one', async () => {
    assert.equal(timeoutFor(commands.add({ source: 'magnet:?xt=urn:btih:abc' })), 150_000);
    assert.equal(timeoutFor(commands.play({ torrent: 'abc' })), 75_000);
    // Keeping may copy a whole film to another disk before it answers.
    assert.equal(timeoutFor(commands.keep({ torrent: 'abc' })), 300_000);
    assert.equal(timeoutFor(commands.devices()), 13_000);
    assert.equal(timeoutFor(commands.devices({ timeoutSecs: 5 })), 15_000);
    assert.equal(timeoutFor(commands.list()), 15_000);
    assert.equal(timeoutFor({ cmd: 'constructor' }), 15_000);

    const s = setup();
    await connect(s);
    let addError = null;
    const add = s.port.request(commands.add({ source: 'magnet:?xt=urn:btih:abc' })).catch((e) => (addError = e));
    const list = s.port.request(commands.list()).catch((e) => e);
    await s.timers.advance(15_000);
    assert.match((await list).message, /list: no answer from magnetcast in 15 s/);
    await s.timers.advance(135_000 - 1);
    assert.equal(addError, null, 'add is still waiting');
    await s.timers.advance(1);
    assert.match((await add).message, /add: no answer from magnetcast in 150 s/);
  });

  it('refuses a command the daemon does not know, connected or not', async () => {
    const s = setup();
    await assert.rejects(s.port.request({ cmd: 'shutdown' }), (e) => e instanceof TypeError && e.message === 'unknown command shutdown');
    await assert.rejects(s.port.request(null), /unknown command undefined/);
    await assert.rejects(s.port.request(commands.list()), (e) => e.code === 'not_connected');
    await connect(s);
    await assert.rejects(s.port.request({ cmd: 'constructor' }), /unknown command constructor/);
    assert.deepEqual(s.runtime.port.sent.map((m) => m.cmd), ['status']);
  });

  it('fails pending requests when the host goes away, then reconnects quickly', async () => {
    const s = setup();
    await connect(s);
    const p = s.port.request(commands.add({ source: 'magnet:?xt=urn:btih:abc' }));
    s.runtime.port.drop(s.runtime, 'Native host has exited.');
    await assert.rejects(p, (e) => e.code === 'disconnected');
    assert.equal(s.port.status.state, 'disconnected');
    assert.deepEqual(s.timers.pending, [500]);
  });

  it('shows the relay\'s own error (id 0) as the reason it stopped', async () => {
    const s = setup();
    s.port.start();
    const relayErrors = [];
    s.port.onRelayError((e) => relayErrors.push(e.message));
    s.runtime.port.onMessage.fire({ v: 1, id: 0, ok: false, error: { code: 'internal', message: 'cannot start the daemon: permission denied' } });
    s.runtime.port.drop(s.runtime, 'Native host has exited.');
    await flush();
    assert.deepEqual(relayErrors, ['cannot start the daemon: permission denied']);
    assert.equal(s.port.status.state, 'disconnected');
    assert.equal(s.port.status.message, 'cannot start the daemon: permission denied');
  });

  it('delivers events to listeners', async () => {
    const s = setup();
    await connect(s);
    const events = [];
    s.port.onEvent((e) => events.push(e));
    s.runtime.port.emit({ event: 'completed', torrent: 'abc' });
    assert.deepEqual(events, [{ v: 1, event: 'completed', torrent: 'abc' }]);
  });

  it('refuses requests with a helpful message while not installed', async () => {
    const s = setup();
    s.port.start();
    s.runtime.port.drop(s.runtime, 'Specified native messaging host not found.');
    await flush();
    await assert.rejects(s.port.request(commands.list()), /not installed on this computer: run `magnetcast install`/);
  });

  it('gives up on a host that never answers the probe and tries again', async () => {
    const s = setup();
    s.port.start();
    await s.timers.advance(30_000);
    assert.equal(s.port.status.state, 'disconnected');
    assert.equal(s.runtime.ports[0].disconnected, true);
    await s.timers.advance(500);
    assert.equal(s.runtime.ports.length, 2);
  });
});
