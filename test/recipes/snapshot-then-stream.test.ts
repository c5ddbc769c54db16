import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { type Client, createClient } from '@tidings/client'
import type { Emitter } from '@tidings/server'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles, until } from './support.js'

// docs/recipes/snapshot-then-stream.md: todos are added after the snapshot is
// taken and before the stream opens. The recipe's client shows them, once each;
// a client that opens the stream without the snapshot's id loses them.

interface Todo {
  id: number
  text: string
}
interface ServerModule {
  emitter: Emitter<ContractModule['events']>
  addTodo(text: string): Todo
  handle(request: Request): Promise<Response> | Response
}
interface ClientModule {
  followTodos(
    base: string,
    onChange: (todos: Map<number, Todo>) => void,
  ): Promise<Client<ContractModule['events']>>
}

let server: ServerModule
let recipe: ClientModule
let events: ContractModule['events']
let base: string
let httpServer: http.Server
// How many todos to add right after the next snapshot is served (the race the recipe closes).
let slipAfterSnapshot = 0
const clients: Client<ContractModule['events']>[] = []

beforeAll(async () => {
  const dir = recipeFiles('snapshot-then-stream')
  ;({ events } = await importRecipe<ContractModule>(dir, 'contract.ts'))
  server = await importRecipe<ServerModule>(dir, 'server.ts')
  recipe = await importRecipe<ClientModule>(dir, 'follow-todos.ts')
  httpServer = http.createServer(
    getRequestListener(async (request) => {
      const response = await server.handle(request)
      if (new URL(request.url).pathname === '/todos') {
        for (; slipAfterSnapshot > 0; slipAfterSnapshot--) server.addTodo('slipped in')
      }
      return response
    }),
  )
  await new Promise<void>((done) => httpServer.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const client of clients) client.close()
  await server.emitter.close()
  await new Promise((done) => httpServer.close(done))
})

it('misses nothing emitted between the snapshot and the stream, and repeats nothing', async () => {
  server.addTodo('milk')
  server.addTodo('bread')
  slipAfterSnapshot = 3

  let shown = new Map<number, Todo>()
  const delivered: number[] = []
  const client = await recipe.followTodos(base, (todos) => {
    shown = new Map(todos)
  })
  clients.push(client)
  client.on('todo:added', (todo) => delivered.push(todo.id))
  expect(slipAfterSnapshot).toBe(0) // the three were added after the snapshot was served

  await until(() => shown.size === 5, 'the todos added after the snapshot')
  server.addTodo('eggs') // and a live one
  await until(() => shown.size === 6, 'the live todo')
  expect([...shown.keys()]).toEqual([1, 2, 3, 4, 5, 6])
  expect(delivered).toEqual([3, 4, 5, 6])
})

it('loses them without the snapshot id (what the recipe prevents)', async () => {
  const snapshot = (await (await fetch(`${base}/todos`)).json()) as { todos: Todo[] }
  const naive = new Map(snapshot.todos.map((todo) => [todo.id, todo]))
  slipAfterSnapshot = 0
  server.addTodo('slipped past') // after the snapshot, before the stream opens
  const client = createClient(events, `${base}/events`)
  clients.push(client)
  client.on('todo:added', (todo) => naive.set(todo.id, todo))
  await until(() => client.status.state === 'open', 'the naive stream to open')
  server.addTodo('live')
  await until(() => naive.size === snapshot.todos.length + 1, 'the live todo')
  expect(naive.has(7)).toBe(false)
  expect(naive.has(8)).toBe(true)
})
