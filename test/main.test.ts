// The CLI as operators meet it: help, effective config, and clear one-line failures with exit codes.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { runCli, startListeningCli } from './helpers/process.js'
import { eventually } from './helpers/service.js'

describe('uns-bridge CLI', () => {
  it('--help lists every setting with its environment variable', async () => {
    const run = await runCli(['--help'])
    assert.equal(run.code, 0)
    assert.match(run.stdout, /Usage: uns-bridge \[--config file\.yaml\]/)
    for (const name of [
      'UNS_MQTT_PORT',
      'UNS_HTTP_PORT',
      'UNS_HOST',
      'UNS_KAFKA_BROKERS',
      'UNS_NAMESPACE_DIR',
      'UNS_LOG_LEVEL',
      'UNS_INSTANCE_ID',
    ]) {
      assert.match(run.stdout, new RegExp(name))
    }
  })

  it('--print-config prints the effective settings with secrets redacted', async () => {
    const run = await runCli(['--print-config'], {
      UNS_MQTT_PORT: '2883',
      UNS_KAFKA_SASL_MECHANISM: 'plain',
      UNS_KAFKA_SASL_USERNAME: 'u',
      UNS_KAFKA_SASL_PASSWORD: 'hunter2',
    })
    assert.equal(run.code, 0)
    const printed = JSON.parse(run.stdout) as {
      mqtt: { port: number }
      kafka: { sasl: { password: string } }
    }
    assert.equal(printed.mqtt.port, 2883)
    assert.equal(printed.kafka.sasl.password, '[redacted]')
    assert.doesNotMatch(run.stdout, /hunter2/)
  })

  it('exits 2 on a bad setting, naming the setting, the value and what is allowed', async () => {
    const run = await runCli([], { UNS_HTTP_PORT: '99999' })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /http\.port = 99999 \(from UNS_HTTP_PORT\): must be <= 65535/)
    assert.match(run.stderr, /UNS_ERR_CONFIG_INVALID/)
  })

  it('exits 2 on an unknown command-line option', async () => {
    const run = await runCli(['--bogus'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /Unknown option '--bogus'/)
  })

  it('exits 1 with a one-line error naming the port when the MQTT port is in use', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      const run = await runCli([], {
        UNS_HOST: '127.0.0.1',
        UNS_MQTT_PORT: String(port),
        UNS_HTTP_PORT: '0',
        UNS_LOG_LEVEL: 'silent',
      })
      assert.equal(run.code, 1)
      const lines = run.stderr.trim().split('\n')
      assert.equal(lines.length, 1, run.stderr)
      assert.match(
        lines[0] ?? '',
        new RegExp(
          `MQTT port ${port} on 127\\.0\\.0\\.1 is already in use.*UNS_MQTT_PORT.*\\(UNS_ERR_LISTEN_PORT_IN_USE\\)`,
        ),
      )
    } finally {
      blocker.close()
    }
  })

  it('exits 1 naming the HTTP port when it is in use', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      const run = await runCli([], {
        UNS_HOST: '127.0.0.1',
        UNS_MQTT_PORT: '0',
        UNS_HTTP_PORT: String(port),
        UNS_LOG_LEVEL: 'silent',
      })
      assert.equal(run.code, 1)
      assert.match(run.stderr, new RegExp(`HTTP port ${port} on 127\\.0\\.0\\.1 is already in use`))
    } finally {
      blocker.close()
    }
  })

  it('exits 1 naming the file when the namespace folder is broken', async () => {
    const run = await runCli([], {
      UNS_MQTT_PORT: '0',
      UNS_HTTP_PORT: '0',
      UNS_NAMESPACE_DIR: '/nonexistent/ns',
      UNS_LOG_LEVEL: 'silent',
    })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /\/nonexistent\/ns/)
    assert.match(run.stderr, /UNS_ERR_NAMESPACE_/)
  })

  it('shuts down gracefully on SIGTERM with exit 0 within 10 s', async (t) => {
    const { child, httpPort } = await startListeningCli({ UNS_HOST: '127.0.0.1' })
    // A failed assertion must not leave the service running (the file would wait for it).
    t.after(() => child.kill('SIGKILL'))
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/health/live`).catch(() => undefined)
      return res?.ok ? true : undefined
    }, 90000)
    const started = Date.now()
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
    assert.ok(Date.now() - started < 10000)
  })
})
