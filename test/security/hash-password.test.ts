// `uns-bridge hash-password` as a user runs it: the real CLI under tsx, the password piped in.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
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

// At a terminal: Python's pty module gives the CLI a real pseudo-terminal (Node has none built in). The
// script answers each prompt as soon as it appears and prints everything the terminal showed.
const PTY_SCRIPT = `
import os, pty, sys, select
answers = [a.encode() for a in sys.argv[1].split('|')]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b''
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r: break
    try: chunk = os.read(fd, 4096)
    except OSError: break
    if not chunk: break
    out += chunk
    if answers and out.rstrip().endswith(b':'):
        os.write(fd, answers.pop(0))
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.WEXITSTATUS(status))
`
const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0

function runInTerminal(answers: string[]): Promise<{ code: number | null; screen: string }> {
  const child = spawn('python3', [
    '-c',
    PTY_SCRIPT,
    answers.join('|'),
    process.execPath,
    '--import',
    'tsx',
    main,
    'hash-password',
  ])
  let screen = ''
  child.stdout.on('data', (c: Buffer) => (screen += c.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, screen })))
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

  test(
    'at a terminal the password is asked twice and never shown',
    { skip: !hasPython && 'python3 with pty is not installed' },
    async () => {
      const out = await runInTerminal(['tty-secret\r', 'tty-secret\r'])
      assert.equal(out.code, 0, out.screen)
      assert.match(out.screen, /Password: /)
      assert.match(out.screen, /Repeat password: /)
      assert.doesNotMatch(out.screen, /tty-secret/)
      const hash = /scrypt\$\S+/.exec(out.screen)?.[0] ?? ''
      const parsed = parsePasswordHash(hash)
      assert.ok(parsed.ok, out.screen)
      assert.equal(await createPasswordVerifier().verify('tty-secret', parsed.value), true)
    },
  )

  test(
    'at a terminal two different entries are refused with exit 2',
    { skip: !hasPython && 'python3 with pty is not installed' },
    async () => {
      const out = await runInTerminal(['one\r', 'two\r'])
      assert.equal(out.code, 2)
      assert.match(out.screen, /the two entries differ/)
      assert.doesNotMatch(out.screen, /scrypt\$/)
    },
  )

  test(
    'at a terminal Ctrl-C stops without a hash (exit 130)',
    { skip: !hasPython && 'python3 with pty is not installed' },
    async () => {
      const out = await runInTerminal(['abc\u0003'])
      assert.equal(out.code, 130)
      assert.doesNotMatch(out.screen, /scrypt\$|abc/)
    },
  )
})
