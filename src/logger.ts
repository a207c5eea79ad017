import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

/** The root logger; created once in main.ts (or by a test) and handed down as `deps.logger`. */
export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'uns-bridge' },
      redact: ['*.password', '*.*.password', 'req.headers.authorization'],
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  )
}
