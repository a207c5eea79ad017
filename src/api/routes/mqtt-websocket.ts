import type { Duplex } from 'node:stream'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import websocket from '@fastify/websocket'
import { createWebSocketStream } from 'ws'
import { SecurityOriginRefused } from '../../errors.js'
import { originAllowed } from '../../security/index.js'

export interface MqttWebSocketOptions {
  readonly handleStream: (stream: Duplex) => void
  /**
   * `http.websocketOrigins`: browser origins allowed besides the server's own; `*` allows any. A browser
   * page from another site would otherwise connect with its visitor's network position (cross-site
   * WebSocket hijacking); clients that send no Origin (not browsers) are not affected.
   */
  readonly origins?: readonly string[]
  /** Told of each refused upgrade (the audit trail). */
  readonly onRefused?: (origin: string, req: FastifyRequest) => void
}

/** MQTT over WebSocket at /mqtt on the HTTP port (browsers, the web explorer); WSS when HTTPS is on. */
export const mqttWebSocketRoutes: FastifyPluginAsync<MqttWebSocketOptions> = async (app, opts) => {
  const origins = opts.origins ?? []
  // MQTT clients ask for the 'mqtt' subprotocol; answer with it ([MQTT-6.0.0-3]).
  await app.register(websocket, {
    options: { handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) },
  })
  app.get(
    '/mqtt',
    {
      websocket: true,
      schema: { hide: true },
      // Before the upgrade: a refused page gets a 403 problem+json answer instead of a WebSocket.
      onRequest: async (req) => {
        const origin = req.headers.origin
        if (originAllowed(origin, req.headers.host, origins)) return
        opts.onRefused?.(origin ?? '', req)
        throw new SecurityOriginRefused([origin], { origin })
      },
    },
    (socket) => {
      opts.handleStream(createWebSocketStream(socket))
    },
  )
}
