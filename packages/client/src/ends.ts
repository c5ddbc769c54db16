import type { EndInfo } from '@tidings/schema'

/** The topics of one client that ended, and the `ended(topic)` promises waiting on them. */
export interface Ends {
  /** Whether `topic` ended. */
  has(topic: string): boolean
  /** Records an end and settles its waiters; true when every topic of the client has ended. */
  record(info: EndInfo): boolean
  /** `client.ended(topic)`: the end, at once if known; `undefined` if the client closes first. */
  wait(topic: string, closed: boolean): Promise<EndInfo | undefined>
  /** The client closed: settles every waiter with `undefined`. */
  closed(): void
}

export function createEnds(topics: readonly string[]): Ends {
  const ends = new Map<string, EndInfo>()
  const waiting = new Map<string, Array<(info: EndInfo | undefined) => void>>()
  const settle = (topic: string, info: EndInfo | undefined): void => {
    for (const resolve of waiting.get(topic) ?? []) resolve(info)
    waiting.delete(topic)
  }
  return {
    has: (topic) => ends.has(topic),
    record(info) {
      ends.set(info.topic, info)
      settle(info.topic, info)
      return topics.length > 0 && topics.every((topic) => ends.has(topic))
    },
    wait: (topic, closed) =>
      new Promise((resolve) => {
        const info = ends.get(topic)
        if (info || closed) return resolve(info)
        waiting.set(topic, [...(waiting.get(topic) ?? []), resolve])
      }),
    closed() {
      for (const topic of [...waiting.keys()]) settle(topic, undefined)
    },
  }
}
