import { seededRandom } from '../../../test/support/random.js'
/**
 * Conformance cases for the `text/event-stream` parser: a raw stream and exactly
 * what a parser following the WHATWG HTML standard reports for it. Written from
 * the standard's "Server-sent events" section and the behaviours the
 * web-platform-tests `eventsource/` suite checks; replayed by
 * `parse.conformance.test.ts` whole, byte by byte and at random split points.
 * Plain data, so other packages' tests can replay them through a transport too.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** One expected dispatched event, in the parser's shape. */
export interface ExpectedEvent {
  readonly event: string
  readonly data: string
  readonly id: string | undefined
}

export interface ConformanceCase {
  readonly name: string
  /** The stream: text (sent as UTF-8) or raw bytes. */
  readonly input: string | readonly number[]
  readonly events: readonly ExpectedEvent[]
  /** `retry` values reported, in order. Default: none. */
  readonly retries?: readonly number[]
  /** Comments reported, in order. Default: none. */
  readonly comments?: readonly string[]
  /** The parser's `lastEventId` after the whole stream. Default: `''`. */
  readonly lastEventId?: string
  /** `createParser`'s `lastEventId` option. */
  readonly startId?: string
}

const ev = (data: string, event = 'message', id?: string): ExpectedEvent => ({ event, data, id })
const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)]
const long = 'x'.repeat(2048)

export const conformanceCases: readonly ConformanceCase[] = [
  // Fields and values
  { name: 'one data line', input: 'data: hello\n\n', events: [ev('hello')] },
  { name: 'no space after the colon', input: 'data:hello\n\n', events: [ev('hello')] },
  { name: 'only one leading space is stripped', input: 'data:  hello\n\n', events: [ev(' hello')] },
  { name: 'trailing spaces are kept', input: 'data: hello  \n\n', events: [ev('hello  ')] },
  { name: 'a tab is not stripped', input: 'data:\thello\n\n', events: [ev('\thello')] },
  { name: 'only the first colon separates', input: 'data: a:b: c\n\n', events: [ev('a:b: c')] },
  {
    name: 'data lines are joined with LF',
    input: 'data: a\ndata: b\ndata: c\n\n',
    events: [ev('a\nb\nc')],
  },
  {
    name: 'an empty data line in the middle',
    input: 'data: a\ndata:\ndata: b\n\n',
    events: [ev('a\n\nb')],
  },
  {
    name: 'a trailing empty data line keeps its LF',
    input: 'data: a\ndata:\n\n',
    events: [ev('a\n')],
  },
  { name: '`data:` alone dispatches an empty string', input: 'data:\n\n', events: [ev('')] },
  {
    name: '`data: ` with one space dispatches an empty string',
    input: 'data: \n\n',
    events: [ev('')],
  },
  {
    name: '`data` without a colon dispatches an empty string',
    input: 'data\n\n',
    events: [ev('')],
  },
  { name: 'two `data` lines without colons', input: 'data\ndata\n\n', events: [ev('\n')] },
  { name: 'a block without data dispatches nothing', input: 'event: ping\n\n', events: [] },
  { name: 'blank lines alone dispatch nothing', input: '\n\n\n\r\n\r\r', events: [] },
  { name: 'NUL in data is kept', input: 'data: a\0b\n\n', events: [ev('a\0b')] },
  { name: 'a line of spaces is an unknown field', input: '   \ndata: x\n\n', events: [ev('x')] },
  { name: 'a leading space makes another field name', input: ' data: x\n\n', events: [] },
  { name: 'a space before the colon makes another field name', input: 'data : x\n\n', events: [] },

  // Event type
  { name: 'event type', input: 'event: ping\ndata: 1\n\n', events: [ev('1', 'ping')] },
  {
    name: 'event type resets after a dispatch',
    input: 'event: ping\ndata: 1\n\ndata: 2\n\n',
    events: [ev('1', 'ping'), ev('2')],
  },
  {
    name: 'event type resets after a block that dispatched nothing',
    input: 'event: ping\n\ndata: 2\n\n',
    events: [ev('2')],
  },
  {
    name: 'the last event field wins',
    input: 'event: a\nevent: b\ndata: x\n\n',
    events: [ev('x', 'b')],
  },
  { name: 'an empty event type means message', input: 'event:\ndata: x\n\n', events: [ev('x')] },
  {
    name: '`event` without a colon means message',
    input: 'event: a\nevent\ndata: x\n\n',
    events: [ev('x')],
  },
  {
    name: 'event type keeps inner and extra spaces',
    input: 'event:  a b \ndata: x\n\n',
    events: [ev('x', ' a b ')],
  },
  {
    name: 'event type may follow data',
    input: 'data: x\nevent: late\n\n',
    events: [ev('x', 'late')],
  },
  {
    name: 'event type is case-sensitive',
    input: 'event: Ping\ndata: x\n\n',
    events: [ev('x', 'Ping')],
  },

  // Last event ID
  { name: 'id', input: 'id: 1\ndata: a\n\n', events: [ev('a', 'message', '1')], lastEventId: '1' },
  {
    name: 'id persists across events',
    input: 'id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\ndata: d\n\n',
    events: [
      ev('a', 'message', '1'),
      ev('b', 'message', '1'),
      ev('c', 'message', '2'),
      ev('d', 'message', '2'),
    ],
    lastEventId: '2',
  },
  {
    name: 'an empty id resets the last event ID',
    input: 'id: 1\ndata: a\n\nid:\ndata: b\n\n',
    events: [ev('a', 'message', '1'), ev('b')],
  },
  {
    name: '`id` without a colon resets the last event ID',
    input: 'id: 1\ndata: a\n\nid\ndata: b\n\n',
    events: [ev('a', 'message', '1'), ev('b')],
  },
  {
    name: '`id: ` with only the stripped space resets',
    input: 'id: 1\ndata: a\n\nid: \ndata: b\n\n',
    events: [ev('a', 'message', '1'), ev('b')],
  },
  {
    name: 'an id containing NUL is ignored',
    input: 'id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n',
    events: [ev('a', 'message', '1'), ev('b', 'message', '1')],
    lastEventId: '1',
  },
  {
    name: 'an id that is only NUL is ignored, not a reset',
    input: 'id: 1\n\nid: \0\ndata: b\n\n',
    events: [ev('b', 'message', '1')],
    lastEventId: '1',
  },
  {
    name: 'a block that sets an id but dispatches nothing still sets it',
    input: 'id: 5\n\ndata: x\n\n',
    events: [ev('x', 'message', '5')],
    lastEventId: '5',
  },
  {
    name: 'an id after the data lines applies to that event',
    input: 'data: a\nid: 7\n\n',
    events: [ev('a', 'message', '7')],
    lastEventId: '7',
  },
  {
    name: 'an id in an unfinished block is not committed',
    input: 'id: 1\ndata: a\n\nid: 2\ndata: b',
    events: [ev('a', 'message', '1')],
    lastEventId: '1',
  },
  {
    name: 'the last id field of a block wins',
    input: 'id: 1\nid: 2\ndata: a\n\n',
    events: [ev('a', 'message', '2')],
    lastEventId: '2',
  },
  {
    name: 'id keeps colons and extra spaces',
    input: 'id:  a:b \ndata: x\n\n',
    events: [ev('x', 'message', ' a:b ')],
    lastEventId: ' a:b ',
  },
  {
    name: 'non-ASCII id',
    input: 'id: é-😀-你\ndata: x\n\n',
    events: [ev('x', 'message', 'é-😀-你')],
    lastEventId: 'é-😀-你',
  },
  {
    name: 'the starting last event ID is reported until an id field',
    input: 'data: a\n\nid: 9\ndata: b\n\n',
    startId: 'k-1',
    events: [ev('a', 'message', 'k-1'), ev('b', 'message', '9')],
    lastEventId: '9',
  },
  {
    name: 'an empty id resets even the starting last event ID',
    input: 'id\n\ndata: a\n\n',
    startId: 'k-1',
    events: [ev('a')],
  },

  // Reconnection time
  { name: 'retry', input: 'retry: 1000\n', events: [], retries: [1000] },
  { name: 'retry without a space', input: 'retry:2500\n\n', events: [], retries: [2500] },
  { name: 'retry 0', input: 'retry: 0\n', events: [], retries: [0] },
  { name: 'retry with leading zeros', input: 'retry: 007\n', events: [], retries: [7] },
  {
    name: 'retry past the safe integers is clamped',
    input: `retry: ${'9'.repeat(400)}\n`,
    events: [],
    retries: [Number.MAX_SAFE_INTEGER],
  },
  {
    name: 'retry accepts ASCII digits only',
    input:
      'retry: 1e3\nretry: -1\nretry: 1.5\nretry: +5\nretry:  100\nretry: 10 \nretry: ١٢\nretry: 0x10\nretry: 12a\n',
    events: [],
  },
  {
    name: 'an empty retry is ignored',
    input: 'retry:\nretry: \nretry\ndata: x\n\n',
    events: [ev('x')],
  },
  {
    name: 'retry inside an event block does not disturb it',
    input: 'data: a\nretry: 5\ndata: b\n\n',
    events: [ev('a\nb')],
    retries: [5],
  },

  // Comments and unknown fields
  { name: 'comment', input: ': hello\n', events: [], comments: ['hello'] },
  {
    name: 'comment text loses one space only',
    input: ':hello\n:  two\n:\n: \n',
    events: [],
    comments: ['hello', ' two', '', ''],
  },
  {
    name: 'a comment between data lines',
    input: 'data: a\n: note\ndata: b\n\n',
    events: [ev('a\nb')],
    comments: ['note'],
  },
  {
    name: 'a comment block dispatches nothing',
    input: ': ping\n\n',
    events: [],
    comments: ['ping'],
  },
  {
    name: 'a comment that looks like a field',
    input: ':data: fail\ndata: ok\n\n',
    events: [ev('ok')],
    comments: ['data: fail'],
  },
  {
    name: 'unknown fields are ignored',
    input: 'foo: bar\ndata: x\nfoo\nx-data: y\n\n',
    events: [ev('x')],
  },
  {
    name: 'field names are case-sensitive',
    input: 'Data: a\nDATA: b\nEvent: e\nID: 1\nRetry: 5\ndata: x\n\n',
    events: [ev('x')],
  },
  {
    name: 'names that only start like a field are unknown',
    input: 'dat: a\ndata2: b\nevents: c\nidx: 1\nretry2: 5\nretr: 5\ndata: x\n\n',
    events: [ev('x')],
  },

  // Line endings
  { name: 'CRLF', input: 'data: a\r\ndata: b\r\n\r\n', events: [ev('a\nb')] },
  { name: 'CR', input: 'data: a\rdata: b\r\r', events: [ev('a\nb')] },
  {
    name: 'mixed line endings',
    input: 'data: a\r\ndata: b\rdata: c\n\r\nid: 1\rdata: d\n\r',
    events: [ev('a\nb\nc'), ev('d', 'message', '1')],
    lastEventId: '1',
  },
  {
    name: 'CRLF is one line end, not two',
    input: 'data: a\r\ndata: b\r\n\r\n',
    events: [ev('a\nb')],
  },
  {
    name: 'CR then CRLF is a blank line',
    input: 'data: a\r\r\ndata: b\n\n',
    events: [ev('a'), ev('b')],
  },
  {
    name: 'LF then CR is a blank line',
    input: 'data: a\n\rdata: b\n\n',
    events: [ev('a'), ev('b')],
  },
  { name: 'CR CR is a blank line', input: 'data: a\r\rdata: b\r\r', events: [ev('a'), ev('b')] },
  {
    name: 'blank lines in CRLF between events',
    input: 'id: 1\r\nevent: e\r\ndata: x\r\n\r\n\r\ndata: y\r\n\r\n',
    events: [ev('x', 'e', '1'), ev('y', 'message', '1')],
    lastEventId: '1',
  },

  // Byte order mark and UTF-8
  { name: 'a leading BOM is stripped', input: '\uFEFFdata: a\n\n', events: [ev('a')] },
  { name: 'a leading BOM before a blank line', input: '\uFEFF\ndata: a\n\n', events: [ev('a')] },
  {
    name: 'only one leading BOM is stripped (format-bom-2)',
    input: '\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3',
    events: [ev('2')],
  },
  {
    name: 'a BOM later in the stream is not stripped (format-bom)',
    input: '\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3\n\n',
    events: [ev('1'), ev('3')],
  },
  { name: 'a BOM inside data is data', input: 'data: \uFEFFx\n\n', events: [ev('\uFEFFx')] },
  {
    name: 'a mis-decoded BOM is text, not a BOM',
    input: [0xc3, 0xaf, 0xc2, 0xbb, 0xc2, 0xbf, ...utf8('data: a\n\ndata: b\n\n')],
    events: [ev('b')],
  },
  {
    name: 'the mis-decoded BOM characters inside data',
    input: 'data: ï»¿\n\n',
    events: [ev('ï»¿')],
  },
  {
    name: 'an incomplete BOM is an invalid sequence, not a BOM',
    input: [0xef, 0xbb, ...utf8('data: a\n\ndata: b\n\n')],
    events: [ev('b')],
  },
  {
    name: 'multibyte characters',
    input: 'event: ünïcödé\ndata: héllo 你好 😀 \u2028 \u0085 end\n\n',
    events: [ev('héllo 你好 😀 \u2028 \u0085 end', 'ünïcödé')],
  },
  {
    name: 'U+2028 and NEL do not end lines',
    input: 'data: a\u2028data: b\u0085\n\n',
    events: [ev('a\u2028data: b\u0085')],
  },
  {
    name: 'invalid UTF-8 becomes U+FFFD',
    input: [...utf8('data: '), 0xff, 0x41, 0xc3, 0x0a, 0x0a],
    events: [ev('\uFFFDA\uFFFD')],
  },
  {
    name: 'a truncated sequence is one U+FFFD',
    input: [
      ...utf8('data: '),
      0xe2,
      0x82,
      0x0a,
      ...utf8('data: '),
      0xf0,
      0x9f,
      0x98,
      0x41,
      0x0a,
      0x0a,
    ],
    events: [ev('\uFFFD\n\uFFFDA')],
  },
  {
    name: 'surrogates, overlongs and code points past U+10FFFF are invalid',
    input: [...utf8('data: '), 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0x0a, 0x0a],
    events: [ev('\uFFFD'.repeat(9))],
  },
  {
    name: 'invalid bytes never hide a line end',
    input: [...utf8('data: '), 0xe2, 0x0a, 0x0a, ...utf8('data: b\n\n')],
    events: [ev('\uFFFD'), ev('b')],
  },

  // End of stream
  { name: 'an unfinished event is not dispatched', input: 'data: a\n', events: [] },
  { name: 'an unfinished line is not dispatched', input: 'data: a\n\ndata: b', events: [ev('a')] },
  {
    name: 'data before the final empty line (format-data-before-final-empty-line)',
    input: 'retry:1000\ndata:test1\n\nid:test\ndata:test2',
    events: [ev('test1')],
    retries: [1000],
  },

  // Scenarios from web-platform-tests eventsource/
  {
    name: 'field parsing (format-field-parsing)',
    input:
      'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n',
    events: [ev('\0\n 2\n1\n3\n\n4')],
  },
  {
    name: 'comment fest (format-comments)',
    input: `data:1\r:\0\n:\r\ndata:2\n:${long}\rdata:3\n:data:fail\r:${long}\ndata:4\n\n`,
    events: [ev('1\n2\n3\n4')],
    comments: ['\0', '', long, 'data:fail', long],
  },
  {
    name: 'newlines (format-newlines)',
    input: 'data:test\r\ndata\ndata:test\r\n\r',
    events: [ev('test\n\ntest')],
  },
  {
    name: 'unknown fields (format-field-unknown)',
    input: 'data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n',
    events: [ev('test\n\ntest')],
    comments: ['thisisacommentyay'],
  },
  {
    name: 'lines and data (event-data)',
    input: 'data:msg\ndata:msg\n\n:\n\ndata:\n\ndata:end\n\n',
    events: [ev('msg\nmsg'), ev(''), ev('end')],
    comments: [''],
  },
  {
    name: 'id persists and resets (format-field-id-3)',
    input: 'id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\nid\ndata: 5\n\n',
    events: [
      ev('1', 'message', '1'),
      ev('2', 'message', '1'),
      ev('3', 'message', '2'),
      ev('4', 'message', '2'),
      ev('5'),
    ],
  },

  // The Tidings wire
  {
    name: 'a Tidings stream start: hello comment, retry, bookmark',
    input: ': tidings heartbeat=15000\nretry:2873\nid:k3f9x2-0\n\n',
    events: [],
    retries: [2873],
    comments: ['tidings heartbeat=15000'],
    lastEventId: 'k3f9x2-0',
  },
  {
    name: 'Tidings events after the bookmark, heartbeats between',
    input:
      ': tidings heartbeat=15000\nretry:2873\nid:k3f9x2-0\n\n:\n' +
      'id:k3f9x2-1\nevent:chat:message\ndata:{"user":"ada","text":"hi"}\n\n:\n' +
      'event:tidings:gap\ndata:{"reason":"expired","lastEventId":"old"}\n\n',
    events: [
      ev('{"user":"ada","text":"hi"}', 'chat:message', 'k3f9x2-1'),
      ev('{"reason":"expired","lastEventId":"old"}', 'tidings:gap', 'k3f9x2-1'),
    ],
    retries: [2873],
    comments: ['tidings heartbeat=15000', '', ''],
    lastEventId: 'k3f9x2-1',
  },
  {
    name: 'a long data line',
    input: `data: ${'y'.repeat(30_000)}\n\n`,
    events: [ev('y'.repeat(30_000))],
  },
  {
    name: 'many small events',
    input: Array.from({ length: 200 }, (_, i) => `id:${i}\ndata:${i}\n\n`).join(''),
    events: Array.from({ length: 200 }, (_, i) => ev(String(i), 'message', String(i))),
    lastEventId: '199',
  },
]

/** Splits at random points, with an occasional empty chunk in between. */
export function* randomSplits<T extends string | Uint8Array>(whole: T, seed: number): Generator<T> {
  const random = seededRandom(seed)
  let position = 0
  while (position < whole.length) {
    if (random() < 0.05) yield whole.slice(position, position) as T
    const size = 1 + Math.floor(random() ** 3 * 64)
    yield whole.slice(position, position + size) as T
    position += size
  }
}

export function* oneByOne<T extends string | Uint8Array>(whole: T): Generator<T> {
  for (let i = 0; i < whole.length; i++) yield whole.slice(i, i + 1) as T
}
