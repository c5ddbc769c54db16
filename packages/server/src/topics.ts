/** What a topic may contain: 1 to 128 characters of `[A-Za-z0-9_.:-]`. */
const TOPIC_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

/** True when `topic` can travel in `?topic=` and be subscribed to. */
export function isValidTopic(topic: string): boolean {
  return TOPIC_PATTERN.test(topic)
}
