// Issue 11: one hostile Sparkplug publish must not end the service. Over real MQTT and Kafka: an NBIRTH
// with a Template nested 3,000 deep (it ended the process with a RangeError) is refused, counted, sent to
// the dead-letter topic and answered with a Rebirth request, and the service keeps serving the node.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { P, nbirth, ndata } from '../fixtures/sparkplug/index.js'
import { birthWith, deepTemplate } from '../fixtures/sparkplug/hostile.js'
import { readTopic, testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, record, send, type Received } from './sparkplug-helpers.js'

const LIMIT = 'UNS_ERR_SPB_PAYLOAD_LIMIT'

describe('hostile Sparkplug payloads against a running service', () => {
  let svc: TestService
  let edge: Awaited<ReturnType<typeof connectEdge>>
  let ncmds: Received[]
  const dlq = uniqueName('uns.dlq')
  const problems = async (code: string): Promise<number> => {
    const m = await svc.service.metrics.sparkplugProblems.get()
    return m.values.find((v) => v.labels.code === code)?.value ?? 0
  }

  interface NodeView {
    edge: string
    online: boolean
    lastSeq: number | null
    metricCount: number
  }
  const nodeView = async (): Promise<NodeView | undefined> => {
    const r = await fetch(`${svc.httpUrl}/api/v1/sparkplug/nodes`)
    const body = (await r.json()) as { groups: { group: string; nodes: NodeView[] }[] }
    return body.groups.find((g) => g.group === 'G9')?.nodes.find((n) => n.edge === 'E9')
  }

  before(async () => {
    svc = await startService({
      UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
      UNS_KAFKA_BROKERS: testBrokers(),
      UNS_KAFKA_TOPICS_TELEMETRY: uniqueName('uns.telemetry'),
      UNS_KAFKA_TOPICS_COMMANDS: uniqueName('uns.commands'),
      UNS_KAFKA_TOPICS_STATE: uniqueName('uns.state'),
      UNS_KAFKA_TOPICS_DLQ: dlq,
      UNS_KAFKA_TOPICS_SPARKPLUG: uniqueName('uns.sparkplug'),
      UNS_KAFKA_CONSUMER_GROUP: uniqueName('group'),
      UNS_SPARKPLUG_REBIRTH_MIN_INTERVAL_MS: '0',
    })
    edge = await connectEdge(svc.mqttUrl, 'G9', 'E9', 0)
    ncmds = await record(edge, 'spBv1.0/G9/NCMD/E9')
  })
  after(async () => {
    await edge.endAsync()
    await svc.close()
  })

  it('refuses an NBIRTH with a Template nested 3,000 deep, dead-letters it and asks for a rebirth', async () => {
    const deep = birthWith(deepTemplate(3000))
    await send(edge, 'spBv1.0/G9/NBIRTH/E9', deep)
    await eventually(async () => ((await problems(LIMIT)) === 1 ? true : undefined))
    const [dead] = await readTopic(dlq, 1)
    assert.equal(dead?.headers['error-code'], LIMIT)
    assert.match(dead?.headers['error-reason'] ?? '', /maxNestingDepth/)
    assert.ok(dead?.value?.equals(Buffer.from(deep)), 'the refused bytes are kept as received')
    const cmd = await eventually(() => ncmds[0])
    const rebirth = P.Payload.decode(cmd.payload).metrics[0]
    assert.equal(rebirth?.name, 'Node Control/Rebirth')
    assert.equal(rebirth?.booleanValue, true)
  })

  it('still serves the node: a valid NBIRTH is born and its DATA applied', async () => {
    await send(edge, 'spBv1.0/G9/NBIRTH/E9', nbirth())
    await send(edge, 'spBv1.0/G9/NDATA/E9', ndata(1, 33.5))
    const node = await eventually(async () => {
      const n = await nodeView()
      return n?.online === true && n.lastSeq === 1 ? n : undefined
    })
    assert.equal(node.metricCount, 4)
  })

  it('decodes a 10-deep Template NBIRTH', async () => {
    const before = await problems(LIMIT)
    await send(edge, 'spBv1.0/G9/NBIRTH/E9', birthWith(deepTemplate(10, 5)))
    // bdSeq and the flattened leaf `t0/.../t9/leaf`: the birth was accepted whole.
    const node = await eventually(async () => {
      const n = await nodeView()
      return n?.metricCount === 2 ? n : undefined
    })
    assert.equal(node.online, true)
    assert.equal(await problems(LIMIT), before)
  })
})
