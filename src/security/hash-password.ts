// `uns-bridge hash-password`: reads one password from standard input and prints its hash for
// `security.users[].password` or `security.tokens[].token`. At a terminal the password is typed twice
// without echo; piped, the first line is taken (so `printf '%s\n' "$PW" | uns-bridge hash-password` works).
import type { Readable, Writable } from 'node:stream'
import { SecurityPasswordInput, UnsError } from '../errors.js'
import { hashPassword } from './password.js'

/** The streams of the command; `stdin.setRawMode` exists only on a terminal. */
export interface HashPasswordIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }
  readonly stdout: Writable
  readonly stderr: Writable
}

// Longer input is not a password typed or piped by a person; refuse rather than hash megabytes.
const MAX_PASSWORD_BYTES = 4096
const EXIT_USAGE = 2
const EXIT_INTERRUPTED = 130

/** Runs the command and returns the exit code (0 printed a hash, 2 bad input, 130 interrupted). */
export async function runHashPassword(io: HashPasswordIo): Promise<number> {
  try {
    let password: string
    if (io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function') {
      // Raw mode (no echo) before the first prompt and until the end: no window in which typing shows.
      io.stdin.setRawMode(true)
      try {
        password = await promptHidden(io, 'Password: ')
        const again = await promptHidden(io, 'Repeat password: ')
        if (again !== password) throw new SecurityPasswordInput(['the two entries differ'])
      } finally {
        io.stdin.setRawMode(false)
        io.stdin.pause()
      }
    } else {
      password = await readFirstLine(io.stdin)
    }
    if (password.length === 0) throw new SecurityPasswordInput(['the password is empty'])
    io.stdout.write(`${await hashPassword(password)}\n`)
    return 0
  } catch (err) {
    if (err === INTERRUPTED) return EXIT_INTERRUPTED
    const message = err instanceof UnsError ? `${err.message} (${err.code})` : String(err)
    io.stderr.write(`uns-bridge: ${message}\n`)
    return EXIT_USAGE
  }
}

const INTERRUPTED = Symbol('interrupted')

async function readFirstLine(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    chunks.push(buf)
    size += buf.length
    if (buf.includes(0x0a)) break
    if (size > MAX_PASSWORD_BYTES) break
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const newline = text.indexOf('\n')
  const line = (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '')
  if (Buffer.byteLength(line) > MAX_PASSWORD_BYTES) {
    throw new SecurityPasswordInput([`the first line is longer than ${MAX_PASSWORD_BYTES} bytes`])
  }
  return line
}

/** Reads one line at a terminal already in raw mode, so nothing typed is echoed. */
function promptHidden(io: HashPasswordIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io
  stderr.write(prompt)
  stdin.resume()
  return new Promise((resolve, reject) => {
    let typed = ''
    const finish = (error: unknown, value?: string): void => {
      stdin.off('data', onData)
      stderr.write('\n')
      if (error === undefined) resolve(value ?? '')
      else reject(error)
    }
    const onData = (chunk: Buffer | string): void => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish(undefined, typed)
        if (ch === '\u0003') return finish(INTERRUPTED) // Ctrl-C
        if (ch === '\u0004' && typed === '') return finish(INTERRUPTED) // Ctrl-D on an empty line
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('')
        else typed += ch
        if (Buffer.byteLength(typed) > MAX_PASSWORD_BYTES) {
          return finish(new SecurityPasswordInput([`longer than ${MAX_PASSWORD_BYTES} bytes`]))
        }
      }
    }
    stdin.on('data', onData)
  })
}
