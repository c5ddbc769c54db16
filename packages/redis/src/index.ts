export { createRedisStore, type RedisStoreOptions } from './create-redis-store.js'
export type { RedisClient } from './redis-client.js'
