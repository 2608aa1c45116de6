import { randomBytes } from 'node:crypto'

/** A fresh token id: `tok_` + 128 random bits (base64url). */
export function newTokenId(): string {
  return `tok_${randomBytes(16).toString('base64url')}`
}

/** A fresh user id: `usr_` + 128 random bits (base64url). */
export function newUserId(): string {
  return `usr_${randomBytes(16).toString('base64url')}`
}

export const TOKEN_ID = /^tok_[A-Za-z0-9_-]{22,64}$/
export const USER_ID = /^usr_[A-Za-z0-9_-]{1,64}$/
export const KID = /^[A-Za-z0-9_-]{1,32}$/
