/**
 * A stand-in for a language model: deterministic, no network. The same prompt
 * always gives the same tokens, so a test can tell the whole answer from a part
 * of it, and one repeated or lost token shows.
 */
const ANSWER =
  'Tidings keeps each run in the history of its own topic. A page that reloads resumes from the last id it saved, ' +
  'a second tab reads the history, then follows live, and a visit after the end replays the run from the history. ' +
  'The generator runs once, on the server, whoever watches.'

/** The tokens answering `prompt`: words with their trailing space, the prompt echoed first. */
export function tokensFor(prompt: string): string[] {
  const words = `You asked: "${prompt.trim()}". ${ANSWER}`.split(' ')
  return words.map((word, index) => (index < words.length - 1 ? `${word} ` : word))
}
