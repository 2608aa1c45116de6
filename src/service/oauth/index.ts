/**
 * crumb as an OAuth 2.1 authorization server (#19; DESIGN.md "OAuth 2.1 authorization server"):
 * client registration and metadata documents, authorization requests and consent, the token
 * endpoint's grants, revocation and introspection. Plain inputs, {@link OAuthError} out.
 */
export * from './access-token.js'
export * from './authorize.js'
export * from './client-id-document.js'
export * from './client-id-document-cache.js'
export * from './client-metadata.js'
export * from './clients.js'
export * from './errors.js'
export * from './grants.js'
export * from './introspect.js'
export * from './metadata.js'
export * from './pkce.js'
export * from './redirect-uri.js'
export * from './scope.js'
export * from './secrets.js'
