import { defineEvents } from '@tidings/schema'
import * as z from 'zod/mini'

/** The one room of this example; every chat event goes to this topic. */
export const LOBBY = 'room:lobby'

/** The longest message the contract accepts, in characters. */
export const MAX_MESSAGE_LENGTH = 2000

/** Nicknames: 1 to 24 letters, digits, `_`, `.` or `-` (so they fit in a query string as is). */
export const NICKNAME_PATTERN = /^[\p{L}\p{N}_.-]{1,24}$/u

const nickname = z
  .string()
  .check(
    z.regex(NICKNAME_PATTERN, { error: 'A nickname is 1 to 24 letters, digits, "_", "." or "-".' }),
  )

/** A whole number, zero or more: a time in milliseconds since the epoch, or a counter. */
const whole = z.int().check(z.nonnegative())

/**
 * The chat's contract, imported by the server module and the browser page.
 * The server validates every message against it before emitting (a POST with
 * a 2001-character text gets a 400 naming the limit), and the page validates
 * every event it receives. Written with `zod/mini`, which costs the page a few
 * KB where `zod` would cost about 90 (docs/guide/validators.md).
 */
export const chatEvents = defineEvents({
  'chat:message': z.object({
    user: nickname,
    text: z.string().check(
      z.trim(),
      z.minLength(1, { error: 'A message cannot be empty.' }),
      z.maxLength(MAX_MESSAGE_LENGTH, {
        error: `Message is too long: at most ${MAX_MESSAGE_LENGTH} characters.`,
      }),
    ),
    /** When the server accepted the message, in milliseconds since the epoch. */
    sentAt: whole,
  }),
  /** Someone joined or left; `online` is everyone present after the change. */
  'chat:presence': z.object({
    kind: z.enum(['join', 'leave']),
    user: nickname,
    online: z.array(nickname),
    /** Increases with every presence change, so a page can ignore older snapshots. */
    rev: whole,
  }),
})

export type ChatEvents = typeof chatEvents

/** The body of `GET /chat/online`. */
export interface OnlineSnapshot {
  readonly online: readonly string[]
  readonly rev: number
}

/** The body of every error response of the chat's HTTP API. */
export interface ChatErrorBody {
  readonly error: { readonly code: string; readonly message: string }
}
