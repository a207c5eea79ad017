import type { Duplex } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import websocket from '@fastify/websocket'
import { createWebSocketStream } from 'ws'

/** MQTT over WebSocket at /mqtt on the HTTP port (browsers, the web explorer). */
export const mqttWebSocketRoutes: FastifyPluginAsync<{ handleStream: (stream: Duplex) => void }> = async (
  app,
  opts,
) => {
  // MQTT clients ask for the 'mqtt' subprotocol; answer with it ([MQTT-6.0.0-3]).
  await app.register(websocket, {
    options: { handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) },
  })
  app.get('/mqtt', { websocket: true, schema: { hide: true } }, (socket) => {
    opts.handleStream(createWebSocketStream(socket))
  })
}
