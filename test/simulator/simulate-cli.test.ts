// `npm run simulate` as a user runs it: bad options stop it with exit code 2 and a message naming the
// option; against a broker it births its edge nodes, publishes at the given rate and reports progress.
import assert from 'node:assert/strict'
import { spawnSync, spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { Aedes } from 'aedes'

const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', ...args], {
    encoding: 'utf8',
    timeout: 30000,
  })

describe('npm run simulate', () => {
  it('refuses a bad QoS, rate or layout with exit code 2 and names the option', () => {
    for (const [args, pattern] of [
      [['--qos', '2'], /--qos must be 0 or 1, got "2"/],
      [['--rate=0'], /--rate must be a number > 0, got "0"/],
      [['--layout', 'plant'], /--layout must be acme or generic/],
      [['--edges', '1.5'], /--edges must be an integer >= 0/],
      [['--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const r = run([...args, '--url', 'mqtt://127.0.0.1:1'])
      assert.equal(r.status, 2, args.join(' '))
      assert.match(r.stderr, pattern)
      assert.match(r.stderr, /usage: npm run simulate/)
    }
  })

  it('births its edge nodes on the broker, publishes DDATA at the rate and stops after --duration', async () => {
    const aedes = await Aedes.createBroker()
    const births: string[] = []
    let ddata = 0
    aedes.on('publish', (packet) => {
      if (packet.topic.includes('/NBIRTH/')) births.push(packet.topic)
      if (packet.topic.includes('/DDATA/')) ddata++
    })
    const server = createServer((s) => aedes.handle(s))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/simulate.ts',
        '--url',
        url,
        '--layout',
        'generic',
        '--edges',
        '2',
        '--devices',
        '3',
        '--metrics',
        '5',
        '--rate',
        '20',
        '--json-tags',
        '0',
        '--duration',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    server.close()
    await new Promise<void>((r) => aedes.close(() => r()))
    assert.equal(code, 0)
    assert.deepEqual(births.sort(), ['spBv1.0/sim/NBIRTH/edge-1', 'spBv1.0/sim/NBIRTH/edge-2'])
    // 2 edges x 3 devices x 20/s for about 2 s; the timer starts after the connections.
    assert.ok(ddata >= 150 && ddata <= 260, `DDATA published: ${ddata}`)
    assert.match(out, /2 edge nodes, 6 devices, 0 JSON tags/)
    assert.match(out, /stopped: \d+ DDATA/)
  })
})
