// `uns-bridge hash-password` as a user runs it: the real CLI under tsx, the password piped in.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPasswordVerifier, parsePasswordHash } from '../../src/security/index.js'

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

function run(stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'hash-password'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  child.stdin.end(stdin)
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

describe('uns-bridge hash-password', () => {
  test('prints a hash of the piped password that verifies, and nothing else', async () => {
    const out = await run('s3cret pass phrase\n')
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.stderr, '')
    const lines = out.stdout.split('\n')
    assert.equal(lines.length, 2, 'one line and the newline')
    assert.doesNotMatch(out.stdout, /s3cret/)
    const parsed = parsePasswordHash(lines[0] as string)
    assert.ok(parsed.ok)
    const verifier = createPasswordVerifier()
    assert.equal(await verifier.verify('s3cret pass phrase', parsed.value), true)
    assert.equal(await verifier.verify('s3cret pass phrase\n', parsed.value), false)
  })

  test('takes the first line only and strips a Windows line ending', async () => {
    const out = await run('first\r\nsecond\n')
    assert.equal(out.code, 0, out.stderr)
    const parsed = parsePasswordHash(out.stdout.trim())
    assert.ok(parsed.ok)
    assert.equal(await createPasswordVerifier().verify('first', parsed.value), true)
  })

  test('exits 2 with a clear message when the password is empty', async () => {
    const out = await run('\n')
    assert.equal(out.code, 2)
    assert.equal(out.stdout, '')
    assert.match(out.stderr, /the password is empty.*UNS_ERR_SECURITY_PASSWORD_INPUT/)
  })
})
