import { ContractError } from './errors.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { AnyContract } from './types.js'
import {
  GAP_EVENT,
  type GapReason,
  HELLO_COMMENT_PREFIX,
  LAST_EVENT_ID_PARAM,
  REPLAY_PARAM,
  TOPIC_PARAM,
} from './wire.js'

/** A JSON value, as an AsyncAPI document holds them. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue }

/** A JSON object: a JSON Schema, or a part of an AsyncAPI document. */
export type JsonObject = { [key: string]: JsonValue }

/**
 * The Standard JSON Schema interface (https://standardschema.dev/json-schema),
 * through which a validator converts itself to JSON Schema (zod 4.2 and later,
 * arktype). Copied, as the spec asks, rather than depended on.
 */
export interface StandardJSONSchemaV1 {
  readonly '~standard': {
    readonly jsonSchema: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>
      readonly output: (options: { readonly target: string }) => Record<string, unknown>
    }
  }
}

/** Options of {@link toAsyncAPI}. */
export interface AsyncApiOptions {
  /** The document's `info`: the API's title and version, and a description. */
  readonly info: {
    readonly title: string
    readonly version: string
    readonly description?: string | undefined
  }
  /**
   * The path the stream is served at: the channel's address.
   * @defaultValue '/events'
   */
  readonly path?: string | undefined
  /** The topics a client may subscribe to, listed as the `topic` parameter's values. */
  readonly topics?: readonly string[] | undefined
  /** Where the stream is served (`https://api.example.com`), as the document's one server. */
  readonly server?: string | URL | undefined
  /**
   * The payloads' content type. Keep the default with the JSON codec; with another
   * codec the payload schemas describe the values before encoding.
   * @defaultValue 'application/json'
   */
  readonly contentType?: string | undefined
  /**
   * Converts an event's schema to JSON Schema (draft-07) when the validator does
   * not implement Standard JSON Schema itself (valibot: `@valibot/to-json-schema`).
   * Return `undefined` to fall back to the validator's own conversion.
   * @example jsonSchema: (schema) => toJsonSchema(schema as v.GenericSchema)
   */
  readonly jsonSchema?:
    | ((schema: StandardSchemaV1, event: string) => Record<string, unknown> | undefined)
    | undefined
}

/** An AsyncAPI 3.0 document, as {@link toAsyncAPI} builds it. */
export interface AsyncApiDocument extends JsonObject {
  asyncapi: '3.0.0'
  info: JsonObject
  channels: JsonObject
  operations: JsonObject
  components: JsonObject
}

// Every reason, with what a client should make of it; a Record so a new reason
// in the wire module fails to compile here until it is documented.
const GAP_REASONS: Record<GapReason, string> = {
  malformed: 'The id sent does not parse as a Tidings id.',
  'other-epoch': 'The id comes from another history (the server restarted with an empty memory).',
  expired: 'The id is older than the oldest event the history still retains.',
  unknown: 'The id has the right epoch but is ahead of anything the history has written.',
  reset:
    'The history the server reads lost events while the stream was open (a shared store was flushed, replaced or trimmed past the reader).',
}

// JSON Schema draft-07, which AsyncAPI 3.0 reads when told so by the schemaFormat.
const TARGET = 'draft-07'
const SCHEMA_FORMAT = 'application/schema+json;version=draft-07'

const hasJsonSchema = (schema: StandardSchemaV1): boolean =>
  typeof (schema['~standard'] as Partial<StandardJSONSchemaV1['~standard']>).jsonSchema?.input ===
  'function'

/**
 * The JSON Schema of the payload as it travels: the schema's *input* side, since
 * the server encodes what `emit` accepted (a transform's result exists only after
 * the client validated). A schema JSON cannot describe fails here, naming the event.
 */
function payloadSchema(
  name: string,
  schema: StandardSchemaV1,
  options: AsyncApiOptions,
): JsonObject {
  let converted: Record<string, unknown> | undefined
  try {
    converted = options.jsonSchema?.(schema, name)
    if (converted === undefined) {
      if (!hasJsonSchema(schema)) {
        throw new ContractError(
          'unsupported_schema',
          `Event ${JSON.stringify(name)}: its ${schema['~standard'].vendor} schema does not implement Standard JSON Schema (~standard.jsonSchema). Convert it with the validator's own tool through the jsonSchema option of toAsyncAPI (valibot: @valibot/to-json-schema).`,
        )
      }
      converted = (schema as unknown as StandardJSONSchemaV1)['~standard'].jsonSchema.input({
        target: TARGET,
      })
    }
  } catch (cause) {
    if (cause instanceof ContractError) throw cause
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new ContractError(
      'unsupported_schema',
      `Event ${JSON.stringify(name)}: its schema cannot be written as JSON Schema (${reason}). Use types JSON can carry (an ISO string rather than a Date, a number rather than a bigint), or pass a jsonSchema option.`,
      { cause },
    )
  }
  // A JSON round trip keeps only what a document can hold (and copies it).
  const { $schema: _, ...rest } = JSON.parse(JSON.stringify(converted)) as JsonObject
  return rest
}

// AsyncAPI component keys allow only [A-Za-z0-9._-]; event names such as
// `chat:message` keep their exact spelling in the message's `name`.
const messageKeys = (names: readonly string[]): Map<string, string> => {
  const keys = new Map<string, string>()
  const taken = new Set<string>()
  for (const name of names) {
    const base = name.replace(/[^A-Za-z0-9._-]/g, '_')
    let key = base
    for (let n = 2; taken.has(key); n++) key = `${base}_${n}`
    taken.add(key)
    keys.set(name, key)
  }
  return keys
}

const serverOf = (server: string | URL): JsonObject => {
  const url = new URL(server)
  return {
    host: url.host,
    protocol: url.protocol.slice(0, -1),
    ...(url.pathname !== '/' && { pathname: url.pathname.replace(/\/$/, '') }),
  }
}

/**
 * Describes a contract as an AsyncAPI 3.0 document: one channel (the stream's
 * path), one message per event with its payload's JSON Schema, the `tidings:gap`
 * control event, and the operation that serves the stream (`send`, for the application that serves it), with
 * its query parameters (`topic`, `lastEventId`, `replay`) and the `Last-Event-ID`
 * header as an HTTP binding and an `x-tidings` extension.
 *
 * Payload schemas come from each validator's Standard JSON Schema converter
 * (zod 4's `z.toJSONSchema` behind `~standard.jsonSchema`), or from the
 * `jsonSchema` option.
 *
 * @throws {ContractError} `unsupported_schema`, naming the event, for a schema
 * JSON Schema cannot express (zod: `z.date()`, `z.bigint()`, `z.map()`, custom
 * types) or a validator with no converter. Refinements (`.refine`) are not
 * represented and do not fail: the document is then looser than the validator.
 * @see https://www.asyncapi.com/docs/reference/specification/v3.0.0
 * @example
 * import { toAsyncAPI } from '@tidings/schema/asyncapi'
 * const document = toAsyncAPI(events, { info: { title: 'Shop events', version: '1.0.0' } })
 * writeFileSync('asyncapi.json', JSON.stringify(document, null, 2))
 */
export function toAsyncAPI(contract: AnyContract, options: AsyncApiOptions): AsyncApiDocument {
  const contentType = options.contentType ?? 'application/json'
  const names: readonly string[] = contract.names
  const keys = messageKeys([...names, GAP_EVENT])
  const messages: JsonObject = {}
  for (const name of names) {
    messages[keys.get(name)!] = {
      name,
      title: name,
      summary: `The \`${name}\` event: \`event: ${name}\`, an \`id:\`, the payload on \`data:\` lines.`,
      contentType,
      payload: {
        schemaFormat: SCHEMA_FORMAT,
        schema: payloadSchema(name, contract.events[name] as StandardSchemaV1, options),
      },
    }
  }
  messages[keys.get(GAP_EVENT)!] = {
    name: GAP_EVENT,
    title: GAP_EVENT,
    summary:
      'The server could not resume from the id the client sent: events may have been missed.',
    description:
      'Sent first on a resumed stream when the history no longer reaches back to the id the client sent; the stream then goes on live. The client should refetch the state the stream keeps up to date.',
    contentType: 'application/json',
    payload: {
      schemaFormat: SCHEMA_FORMAT,
      schema: {
        type: 'object',
        properties: {
          reason: {
            type: 'string',
            enum: Object.keys(GAP_REASONS),
            description: Object.entries(GAP_REASONS)
              .map(([reason, text]) => `${reason}: ${text}`)
              .join(' '),
          },
          lastEventId: {
            type: 'string',
            description:
              'The id the client resumed from, as it sent it (truncated to 256 characters).',
          },
        },
        required: ['reason', 'lastEventId'],
        additionalProperties: false,
      },
    },
  }

  const topics = options.topics ?? []
  const topicItem: JsonObject = { type: 'string', ...(topics.length > 0 && { enum: [...topics] }) }
  const refs = Object.keys(messages).map((key) => ({ $ref: `#/channels/events/messages/${key}` }))

  return {
    asyncapi: '3.0.0',
    info: {
      title: options.info.title,
      version: options.info.version,
      ...(options.info.description !== undefined && { description: options.info.description }),
    },
    ...(options.server !== undefined && { servers: { default: serverOf(options.server) } }),
    defaultContentType: contentType,
    channels: {
      events: {
        address: options.path ?? '/events',
        title: 'Event stream',
        description: [
          'A Server-Sent Events stream (`text/event-stream`, WHATWG HTML "Server-sent events"): open it with a GET and `Accept: text/event-stream`.',
          `It starts with the comment \`: ${HELLO_COMMENT_PREFIX}<ms>\` announcing the heartbeat interval; heartbeats are empty comment lines (\`:\`). A stream silent for longer than the interval allows is dead: reconnect.`,
          'Every event has an `id:` of the form `<epoch>-<seq>`; send the last one processed back on reconnect to resume without loss.',
        ].join('\n\n'),
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
      },
    },
    operations: {
      // The document describes the application that serves the stream (what a
      // team publishes about its API): it sends; each client's GET opens a stream.
      streamEvents: {
        action: 'send',
        title: 'Stream the events',
        summary:
          "Sends each client the events of its topics, from after the client's last event id when it resumes.",
        channel: { $ref: '#/channels/events' },
        messages: refs,
        bindings: {
          http: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                [TOPIC_PARAM]: {
                  type: 'array',
                  items: topicItem,
                  description: `A topic to subscribe to; repeat \`${TOPIC_PARAM}\` for several. Without one, only events emitted to every connection arrive.`,
                },
                [LAST_EVENT_ID_PARAM]: {
                  type: 'string',
                  description:
                    'Resume after this event id, where the `Last-Event-ID` header cannot be set (a WebSocket, a cross-origin request kept free of preflight).',
                },
                [REPLAY_PARAM]: {
                  type: 'integer',
                  minimum: 0,
                  description:
                    'On a fresh connection (no last event id), first replay up to this many recent events of the subscribed topics.',
                },
              },
            },
            bindingVersion: '0.3.0',
          },
        },
        'x-tidings': {
          resume: {
            header: 'Last-Event-ID',
            query: LAST_EVENT_ID_PARAM,
            gapEvent: GAP_EVENT,
            description:
              'Send the id of the last event processed (header or query). The server replays what followed, then goes live; when it cannot, it sends the gap event first.',
          },
          heartbeat: `: ${HELLO_COMMENT_PREFIX}<ms>`,
        },
      },
    },
    components: { messages },
  }
}
