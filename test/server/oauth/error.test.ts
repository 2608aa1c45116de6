// #19: RFC 6749 error JSON at /oauth/*, and the redirect form of an authorization error.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { errorRedirectUrl, sendOAuthError } from '../../../src/server/oauth/error.js'
import { OAuthError } from '../../../src/service/oauth/errors.js'

describe('OAuth errors', () => {
  it('answer RFC 6749 JSON with no-store over HTTP; invalid_client is a 401 with a Basic challenge', async () => {
    const app = express()
    app.get('/grant', (_req, res) => sendOAuthError(res, new OAuthError('invalid_grant', 'code expired')))
    app.get('/client', (_req, res) => sendOAuthError(res, new OAuthError('invalid_client', 'unknown client')))
    app.get('/boom', (_req, res) => sendOAuthError(res, new Error('SELECT secret FROM db')))
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const grant = await fetch(`${base}/grant`)
      expect(grant.status).toBe(400)
      expect(grant.headers.get('content-type')).toMatch(/^application\/json/)
      expect(grant.headers.get('cache-control')).toBe('no-store')
      expect(await grant.json()).toEqual({ error: 'invalid_grant', error_description: 'code expired' })
      const client = await fetch(`${base}/client`)
      expect(client.status).toBe(401)
      expect(client.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect((await client.json()).error).toBe('invalid_client')
      const boom = await fetch(`${base}/boom`)
      expect(boom.status).toBe(500)
      const body = await boom.json()
      expect(body.error).toBe('server_error')
      expect(JSON.stringify(body)).not.toContain('secret')
    } finally {
      server.close()
    }
  })

  it('redirect with error, description, state and iss added to the redirect URI', () => {
    const url = new URL(
      errorRedirectUrl(
        'http://127.0.0.1:5000/cb?keep=1',
        new OAuthError('access_denied', 'the user said no'),
        {
          state: 's t&ate',
          iss: 'https://crumb.example',
        },
      ),
    )
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:5000/cb')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      keep: '1',
      error: 'access_denied',
      error_description: 'the user said no',
      state: 's t&ate',
      iss: 'https://crumb.example',
    })
  })
})
