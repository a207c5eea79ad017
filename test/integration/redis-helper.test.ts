// The Redis that scale-out tests (issue 15) run on: a real redis-server started by the test, reached
// by a real client (redis-cli), gone after stop().
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { pingRedis, startRedis } from '../helpers/redis.js'
import { eventually } from '../helpers/service.js'

it('a started Redis carries a PUBLISH from one client to a SUBSCRIBEd one, and is gone after stop', async () => {
  const redis = await startRedis()
  after(() => redis.stop())
  const sub = spawn('redis-cli', ['-p', String(redis.port), 'SUBSCRIBE', 'uns.test'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  after(() => sub.kill('SIGKILL'))
  let received = ''
  sub.stdout.on('data', (c: Buffer) => (received += c.toString()))
  await eventually(() => (received.includes('subscribe') ? true : undefined), 10000)

  const pub = spawnSync('redis-cli', ['-p', String(redis.port), 'PUBLISH', 'uns.test', 'hello-from-a'], {
    encoding: 'utf8',
  })
  assert.equal(pub.stdout.trim(), '1', 'one subscriber received the message')
  await eventually(() => (received.includes('hello-from-a') ? true : undefined), 10000)

  // No persistence: nothing is written when a key is set and the server stops.
  const save = spawnSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'GET', 'save'], {
    encoding: 'utf8',
  })
  assert.match(save.stdout, /^save\n$/m)

  await redis.stop()
  assert.equal(await pingRedis(redis.port), false, 'nothing answers on the port after stop')
})

it('a killed Redis stops answering at once', async () => {
  const redis = await startRedis()
  after(() => redis.stop())
  assert.equal(await pingRedis(redis.port), true)
  await redis.kill()
  assert.equal(await pingRedis(redis.port), false)
})
