import { maxHeaderSize, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { CrumbError } from '../errors.js'
import { problemBody, ValidationProblem } from './problem.js'

/**
 * Requests Node's HTTP parser refuses before Express ever sees them — headers over Node's limit
 * (16 KiB by default), a malformed request line or header — would get Node's bare status line
 * with no body. The token service answers them with the same problem+json as every other error.
 * The body never repeats what the client sent (an oversized header is often a token).
 */

/** Node's own answer to a request that did not arrive in time: no problem code fits it. */
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'

/** The HTTP status and problem of a parser error. */
function problemOf(code: string | undefined, headerLimit: number): { status: number; error: CrumbError } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    const detail = `request headers are larger than ${Math.floor(headerLimit / 1024)} KiB`
    return {
      status: 431,
      error: new ValidationProblem(detail, [{ in: 'header', path: '', message: 'too large' }]),
    }
  }
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    return { status: 413, error: new CrumbError('payload_too_large', 'chunk extensions are too large') }
  }
  const detail = 'the request is not valid HTTP/1.1'
  return {
    status: 400,
    error: new ValidationProblem(detail, [{ in: 'header', path: '', message: 'malformed' }]),
  }
}

/** A complete HTTP/1.1 problem response; the connection closes after it (the parser cannot go on). */
function problemResponse(status: number, error: CrumbError): string {
  const body = JSON.stringify(problemBody(error, status))
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
  ]
  return `${head.join('\r\n')}\r\n\r\n${body}`
}

/**
 * Answers the HTTP parser's client errors on `server` with a problem+json response (431 for
 * oversized headers, 400 for a malformed request, 413 for oversized chunk extensions; a request
 * timeout keeps Node's bare 408), then closes the connection. Like Node's default, it writes
 * nothing when a response on that connection has already started (that would corrupt it) or
 * the client is gone.
 *
 * @example
 * const server = createServer(app)
 * answerClientErrors(server)
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Node's own rule: answer only when no response on this connection has begun, else the
    // problem could land inside another response's bytes, or ahead of a pipelined one still
    // queued. `_httpMessage` is the response Node is writing on the socket (the head of a
    // pipeline, until it finishes), the field Node's default handler checks; then we close.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy()
      return
    }
    let response = REQUEST_TIMEOUT
    if (err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      const { status, error } = problemOf(
        err.code,
        (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize,
      )
      response = problemResponse(status, error)
    }
    socket.end(response, () => socket.destroy())
  })
}
