import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { PASSWORD, register, useTestService } from '../server/helpers.js'

/** #18 item 10: the keys page's stale figure comes from the service's CRUMB_UNUSED_KEY_TTL. */

const DAY = 86_400_000
const t = useTestService({ config: { unusedKeyTtlMs: 30 * DAY } })

describe('the keys page', () => {
  it('marks keys stale at a third of the service unused-key age, and says both figures', async () => {
    const user = await register(t.app)
    const agent = request.agent(t.app)
    const host = 'crumb.test'
    const signInPage = await agent.get('/sign-in').set('Host', host).expect(200)
    const csrf = /crumb_csrf=([^;]+)/.exec(signInPage.headers['set-cookie']?.toString() ?? '')?.[1] ?? ''
    expect(csrf).not.toBe('')
    await agent
      .post('/dashboard/sign-in')
      .set('Host', host)
      .set('Origin', `http://${host}`)
      .set('X-CSRF-Token', csrf)
      .send({ email: user.email, password: PASSWORD })
      .expect(201)
    const page = await agent.get('/keys').set('Host', host).expect(200)
    expect(page.text).toContain(`data-stale-after-ms="${10 * DAY}"`)
    expect(page.text).toContain('Keys unused for 10 days are marked stale')
    expect(page.text).toContain('revokes keys unused for 30 days')
  })
})
