import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeEvent } from './helpers/fakes.mjs';
import { UI_PORT } from '../src/lib/messages.js';
import { connectBackground } from '../src/lib/ui-client.js';

function fakeRuntime() {
  const ports = [];
  return {
    ports,
    lastError: undefined,
    connect({ name }) {
      const port = {
        name,
        posted: [],
        onMessage: new FakeEvent(),
        onDisconnect: new FakeEvent(),
        postMessage(m) {
          this.posted.push(m);
        },
        disconnect() {},
      };
      ports.push(port);
      return port;
    },
  };
}

describe('ui client', () => {
  it('delivers state and resolves calls by id', async () => {
    const runtime = fakeRuntime();
    const states = [];
    const client = connectBackground({ runtime, onState: (s) => states.push(s) });
    const port = runtime.ports[0];
    assert.equal(port.name, UI_PORT);
    port.onMessage.fire({ type: 'state', state: { host: { state: 'connected' } } });
    assert.deepEqual(states, [{ host: { state: 'connected' } }]);

    const a = client.call('send', { cmd: 'status' });
    const b = client.call('reconnect');
    const [ca, cb] = port.posted;
    assert.deepEqual(ca, { type: 'call', id: 1, method: 'send', args: [{ cmd: 'status' }] });
    port.onMessage.fire({ type: 'result', id: cb.id, ok: false, error: { code: 'cast', message: 'not casting' } });
    port.onMessage.fire({ type: 'result', id: ca.id, ok: true, value: { torrents: [] } });
    assert.deepEqual(await a, { torrents: [] });
    await assert.rejects(b, (e) => e.message === 'not casting' && e.code === 'cast');
    client.close();
  });

  it('fails calls in flight and reconnects 250 ms after the background restarts', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const runtime = fakeRuntime();
    const states = [];
    const client = connectBackground({ runtime, onState: (s) => states.push(s) });
    const pending = client.call('state');
    runtime.ports[0].onDisconnect.fire();
    await assert.rejects(pending, /the extension restarted/);
    t.mock.timers.tick(249);
    assert.equal(runtime.ports.length, 1);
    t.mock.timers.tick(1);
    assert.equal(runtime.ports.length, 2);
    runtime.ports[1].onMessage.fire({ type: 'state', state: { host: { state: 'connected' } } });
    assert.deepEqual(states, [{ host: { state: 'connected' } }], 'the new port delivers state');
    client.close();
  });

  it('does not reopen once closed', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const runtime = fakeRuntime();
    const client = connectBackground({ runtime });
    client.close();
    runtime.ports[0].onDisconnect.fire();
    t.mock.timers.tick(1000);
    assert.equal(runtime.ports.length, 1);
  });
});
