export { useClient } from './use-client.js'
export { useClientStatus } from './use-client-status.js'
export { useEnded } from './use-ended.js'
export { useEvent } from './use-event.js'
