// Public face of the Kafka stage: the client adapter (the one place that speaks a Kafka client library),
// the bounded, ordered producer in front of it and the one backoff helper. The bridge and the registry
// both build on it; neither depends on the other.
export {
  createKafkaClient,
  type ConsumedRecord,
  type ConsumerHandle,
  type KafkaClient,
  type KafkaClientConfig,
  type KafkaRecord,
  type TailHandle,
} from './kafka-client.js'
export type { PartitionReadOptions, PartitionReadResult, ReadStart } from './kafka-read.js'
export {
  createBufferedProducer,
  type BufferedProducer,
  type BufferedProducerConfig,
  type LinkState,
  type ProduceResult,
} from './producer.js'
export { createBackoff, type Backoff } from './backoff.js'
export { createProducerThread, type ProducerLink } from './producer-thread.js'
