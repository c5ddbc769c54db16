/**
 * The connection status indicator both pages show: a coloured dot and a line of
 * text, driven by the client's `tidings:status` lifecycle event.
 */

/** The part of the client's status object the indicator reads. */
export interface StatusLike {
  readonly state: string
  readonly attempt?: number | undefined
  readonly delayMs?: number | undefined
  readonly reason?: string | undefined
  readonly error?: { readonly message: string } | undefined
}

function describe(status: StatusLike): string {
  switch (status.state) {
    case 'connecting':
      return 'Connecting…'
    case 'open':
      return 'Live'
    case 'reconnecting': {
      const seconds =
        status.delayMs === undefined ? undefined : Math.max(1, Math.round(status.delayMs / 1000))
      const when = seconds === undefined ? '' : ` in ${seconds} s`
      const attempt = status.attempt === undefined ? '' : ` (attempt ${status.attempt})`
      return `Reconnecting${when}${attempt}`
    }
    case 'closed':
      // Every topic ended: nothing more to come, which is not a lost connection.
      return status.reason === 'ended' ? 'Ended' : 'Disconnected'
    default:
      return status.state
  }
}

/** Renders `status` into an element holding a `.dot` and a `.status-text`. */
export function renderStatus(element: HTMLElement, status: StatusLike): void {
  element.dataset.state = status.state
  const text = element.querySelector<HTMLElement>('.status-text')
  if (text) text.textContent = describe(status)
  // Why the client gave up, if it did: a hover away rather than a wall of text in the pill.
  element.title = status.error
    ? `Stream closed: ${status.error.message}`
    : `Stream status: ${status.state}`
}
