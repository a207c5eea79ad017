import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createAccessRules,
  createSparkplugGuard,
  internalIdentity,
  type Identity,
} from '../../src/security/index.js'

const rules = createAccessRules({
  roles: {
    edge: { publish: ['spBv1.0/#'] },
    scada: { publish: ['spBv1.0/#'], write: ['spBv1.0/plant/NCMD/+', 'spBv1.0/plant/DCMD/#'] },
  },
})
const user = (name: string, role: string): Identity => ({
  name,
  kind: 'user',
  via: 'password',
  roles: [role],
})
const edge = user('edge', 'edge')
const scada = user('scada', 'scada')
const host = internalIdentity('uns-bridge-host')

function setup() {
  return createSparkplugGuard(
    {
      canWrite: (identity, clientId, topic) =>
        rules.check({ identity, clientId, action: 'write', target: topic }).allowed,
    },
    { hostId: 'uns-bridge' },
  )
}

describe('Sparkplug guard: an edge node speaks only for itself', () => {
  test('a client is bound to the edge node of its NBIRTH and may publish only under it', () => {
    const guard = setup()
    guard.onConnect('plc1', edge)
    assert.equal(guard.check('plc1', edge, 'spBv1.0/plant/NBIRTH/plc1').allowed, true)
    assert.equal(guard.ownerOf('plant', 'plc1'), 'plc1')
    assert.equal(guard.check('plc1', edge, 'spBv1.0/plant/NDATA/plc1').allowed, true)
    assert.equal(guard.check('plc1', edge, 'spBv1.0/plant/DBIRTH/plc1/drive7').allowed, true)
    const other = guard.check('plc1', edge, 'spBv1.0/plant/NDATA/plc2')
    assert.deepEqual(other, {
      allowed: false,
      reason: 'client plc1 speaks for edge node plant/plc1; it may not publish for plant/plc2',
    })
    assert.equal(guard.check('plc1', edge, 'spBv1.0/other-group/NDATA/plc1').allowed, false)
  })

  test('another client cannot fake the NDEATH (or any message) of a connected edge node', () => {
    const guard = setup()
    guard.onConnect('plc1', edge)
    guard.onConnect('intruder', edge)
    guard.check('plc1', edge, 'spBv1.0/plant/NBIRTH/plc1')
    const fake = guard.check('intruder', edge, 'spBv1.0/plant/NDEATH/plc1')
    assert.deepEqual(fake, {
      allowed: false,
      reason: 'edge node plant/plc1 belongs to connected client plc1',
    })
    assert.equal(guard.check('intruder', edge, 'spBv1.0/plant/DDATA/plc1/dev').allowed, false)
    // The intruder is still free to be some other edge node.
    assert.equal(guard.check('intruder', edge, 'spBv1.0/plant/NBIRTH/plc9').allowed, true)
  })

  test('the owner’s own Will NDEATH passes (it is checked before the disconnect is reported)', () => {
    const guard = setup()
    guard.onConnect('plc1', edge)
    guard.check('plc1', edge, 'spBv1.0/plant/NBIRTH/plc1')
    assert.equal(guard.check('plc1', edge, 'spBv1.0/plant/NDEATH/plc1').allowed, true)
    guard.onDisconnect('plc1')
    assert.equal(guard.ownerOf('plant', 'plc1'), undefined)
  })

  test('after the owner disconnects, the edge node may connect again (on another client id too)', () => {
    const guard = setup()
    guard.onConnect('plc1', edge)
    guard.check('plc1', edge, 'spBv1.0/plant/NBIRTH/plc1')
    guard.onDisconnect('plc1')
    guard.onConnect('plc1-b', edge)
    assert.equal(guard.check('plc1-b', edge, 'spBv1.0/plant/NBIRTH/plc1').allowed, true)
    assert.equal(guard.ownerOf('plant', 'plc1'), 'plc1-b')
  })

  test('a new session of the same client id starts unbound', () => {
    const guard = setup()
    guard.onConnect('gw', edge)
    guard.check('gw', edge, 'spBv1.0/plant/NBIRTH/a')
    guard.onConnect('gw', edge)
    assert.equal(guard.check('gw', edge, 'spBv1.0/plant/NBIRTH/b').allowed, true)
  })

  test('topics outside spBv1.0 and malformed Sparkplug topics are left to the role grants', () => {
    const guard = setup()
    assert.equal(guard.check('c', edge, 'acme/berlin/x').allowed, true)
    assert.equal(guard.check('c', edge, 'spBv1.0/plant/NOPE/x').allowed, true)
    assert.equal(guard.check('c', edge, 'spBv1.0/plant/NDATA/e/extra').allowed, true)
  })
})

describe('Sparkplug guard: STATE and commands', () => {
  test('nobody but uns-bridge publishes its own STATE; other hosts keep theirs', () => {
    const guard = setup()
    const fake = guard.check('c', scada, 'spBv1.0/STATE/uns-bridge')
    assert.equal(fake.allowed, false)
    assert.match(fake.allowed ? '' : fake.reason, /only uns-bridge publishes its own Sparkplug STATE/)
    assert.equal(guard.check('uns-bridge-host', host, 'spBv1.0/STATE/uns-bridge').allowed, true)
    assert.equal(guard.check('ignition', scada, 'spBv1.0/STATE/ignition-primary').allowed, true)
  })

  test('NCMD and DCMD need an explicit write grant on the Sparkplug topic, or uns-bridge itself', () => {
    const guard = setup()
    assert.equal(guard.check('e', edge, 'spBv1.0/plant/NCMD/plc1').allowed, false)
    assert.equal(guard.check('e', edge, 'spBv1.0/plant/DCMD/plc1/drive').allowed, false)
    assert.equal(guard.check('s', scada, 'spBv1.0/plant/NCMD/plc1').allowed, true)
    assert.equal(guard.check('s', scada, 'spBv1.0/plant/DCMD/plc1/drive').allowed, true)
    assert.equal(guard.check('s', scada, 'spBv1.0/other/NCMD/plc1').allowed, false)
    assert.equal(guard.check('h', host, 'spBv1.0/other/NCMD/plc1').allowed, true)
  })

  test('commands do not bind the sender to an edge node', () => {
    const guard = setup()
    guard.check('s', scada, 'spBv1.0/plant/NCMD/plc1')
    assert.equal(guard.ownerOf('plant', 'plc1'), undefined)
    assert.equal(guard.check('plc1', edge, 'spBv1.0/plant/NBIRTH/plc1').allowed, true)
  })
})
