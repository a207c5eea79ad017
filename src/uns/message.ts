/**
 * One MQTT PUBLISH as every stage sees it, from the broker hook to the Kafka producer (STYLE.md rule 14):
 * the broker builds it once; Sparkplug, the pipeline, the bridge and the dead-letter records read it.
 */
export interface InboundMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
  /** Sender's client id; '' for a will that the broker publishes after its client is gone. */
  readonly clientId: string
}

/** A message the service publishes itself on MQTT (republished UNS values, commands, certificate copies). */
export interface OutgoingMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1
  readonly retain: boolean
}

/** Why an input was refused: the dead-letter record's headers and the operator's reason. */
export interface Rejection {
  readonly code: string
  readonly reason: string
  readonly subject?: string
  readonly version?: number
  readonly errors?: readonly { readonly instancePath: string; readonly message: string }[]
}
