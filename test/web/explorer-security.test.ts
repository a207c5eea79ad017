// The explorer against a service with security on (issue 12): the page asks for a token on the API's 401,
// sends it with every request, and shows the write form only where the service's own GET /api/v1/me
// grants `write` (no request interception: the real access hook answers).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { hashPassword } from '../../src/security/index.js'
import { startService, type TestService } from '../helpers/service.js'
import { launchBrowser, openPage } from './browser.js'

const SETPOINT = 'acme/berlin/packaging/line-1/filler/speedSetpoint'
const WAIT = { timeout: 30_000 }
const FAST = { ln: 10, r: 8, p: 1 }

describe('web explorer with security on', () => {
  let svc: TestService
  let browser: Browser
  const errors: string[] = []

  before(async () => {
    svc = await startService(
      { UNS_NAMESPACE_DIR: 'namespace' },
      `
security:
  tokens:
    - { name: dashboard, token: "${await hashPassword('reader-token-1', FAST)}", roles: [reader] }
    - { name: mes, token: "${await hashPassword('operator-token-1', FAST)}", roles: [operator] }
  roles:
    reader:   { read: ["acme/#"] }
    operator: { read: ["acme/#"], write: ["acme/berlin/packaging/#"] }
`,
    )
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await svc?.close()
  })

  const signIn = async (token: string): Promise<Page> => {
    const page = await openPage(browser, `${svc.httpUrl}/#/node/${SETPOINT}`, errors)
    await page.getByRole('dialog', { name: 'Sign in with an API token' }).waitFor(WAIT)
    await page.getByRole('dialog').getByLabel('Token').fill(token)
    await page.getByRole('button', { name: 'Use token' }).click()
    await page.getByRole('heading', { name: 'Definition' }).waitFor(WAIT)
    return page
  }

  it('asks a reader for a token and then shows the tag without a write form', async () => {
    const page = await signIn('reader-token-1')
    await page.getByRole('button', { name: 'dashboard' }).waitFor(WAIT)
    assert.equal(await page.getByRole('heading', { name: 'Write' }).count(), 0)
    await page.context().close()
  })

  it('shows the write form to an operator whose role writes under acme/berlin/packaging', async () => {
    const page = await signIn('operator-token-1')
    await page.getByRole('heading', { name: 'Write' }).waitFor(WAIT)
    await page.context().close()
  })

  it('raised no error in the page besides the 401 that asked for the token', () => {
    assert.deepEqual(
      // The explorer reports the first 401 of each view (before the token) in the console.
      errors.filter((e) => !/Failed to load resource|^Authentication required: /.test(e)),
      [],
    )
  })
})
