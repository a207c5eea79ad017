// The UNS value envelope (PRODUCT.md §3) as JSON Schema 2020-12: the form of every value on UNS MQTT
// topics and in Kafka record values. Registered as subject `uns.envelope` at registry start.
// The content model is closed so that later versions can add optional fields and stay BACKWARD
// compatible (an optional property added to an open content model is not, see registry/compatibility.ts).

export const UNS_ENVELOPE_SUBJECT = 'uns.envelope'

export const unsEnvelopeSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://uns-bridge.dev/schemas/uns-envelope.json',
  title: 'UNS value envelope',
  type: 'object',
  required: ['value', 'timestamp', 'quality'],
  additionalProperties: false,
  properties: {
    value: {
      description:
        'The value: any JSON. Int64/UInt64 values (and their arrays) are decimal strings, as are other integers beyond 2^53; never rounded.',
    },
    timestamp: {
      description: 'Source timestamp, epoch milliseconds.',
      type: 'integer',
      minimum: 0,
    },
    quality: {
      type: 'string',
      enum: ['good', 'uncertain', 'bad', 'stale'],
    },
    staleSince: {
      description:
        'Since when the value is stale (its Sparkplug node died or the host lost its server), epoch milliseconds; timestamp stays the last sample.',
      type: 'integer',
      minimum: 0,
    },
    datatype: {
      description: 'Sparkplug datatype name (Int32, Float, String, ...) when known.',
      type: 'string',
      minLength: 1,
      maxLength: 64,
    },
  },
} as const
