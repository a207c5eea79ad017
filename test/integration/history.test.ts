// History read back from Kafka retention (issue 14): the one partition of the key, from the offset of
// `from`, bounded by the scan budget, in JSON, NDJSON and CSV; dead letters from memory and uns.dlq.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTopic, testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually, startService, type TestService } from '../helpers/service.js'

const TAG = 'acme/berlin/packaging/line-1/filler/temperature'
const OTHER = 'acme/berlin/packaging/line-1/filler/pressure'

describe('history from Kafka retention', () => {
  const topics = {
    telemetry: uniqueName('uns.telemetry'),
    state: uniqueName('uns.state'),
    dlq: uniqueName('uns.dlq'),
  }
  let svc: TestService
  let t0: number

  before(async () => {
    await createTopic(topics.telemetry, 3)
    svc = await startService({
      UNS_KAFKA_BROKERS: testBrokers(),
      UNS_KAFKA_TOPICS_TELEMETRY: topics.telemetry,
      UNS_KAFKA_TOPICS_STATE: topics.state,
      UNS_KAFKA_TOPICS_DLQ: topics.dlq,
      UNS_KAFKA_TOPICS_COMMANDS: uniqueName('uns.commands'),
      UNS_KAFKA_TOPICS_SPARKPLUG: uniqueName('uns.sparkplug'),
      UNS_KAFKA_CONSUMER_GROUP: uniqueName('group'),
      UNS_HISTORY_SCAN_MAX_RECORDS: '40',
    })
    await eventually(() => (svc.service.health().ready ? true : undefined), 30000)
    const client = await svc.connect('plc-hist')
    t0 = Date.now()
    for (let i = 0; i < 30; i++) {
      await client.publishAsync(TAG, JSON.stringify({ value: i, timestamp: t0 + i }), { qos: 1 })
      await client.publishAsync(OTHER, JSON.stringify({ value: 100 + i }), { qos: 1 })
    }
    await client.publishAsync(TAG, 'not json {', { qos: 1 })
  })
  after(() => svc?.close())

  const get = (path: string, accept = 'application/json') =>
    fetch(`${svc.httpUrl}/api/v1/${path}`, { headers: { accept } })

  it('reads the values of one tag back from its partition of the telemetry topic, in order', async () => {
    const res = await get(`history/${TAG}?from=${t0 - 60_000}&source=kafka&limit=20`)
    assert.equal(res.status, 200)
    const body = (await res.json()) as {
      source: string
      topic: string
      partition: number
      points: { value: number; timestamp: number; quality: string }[]
      truncated: boolean
      reason?: string
    }
    assert.equal(body.source, 'kafka')
    assert.equal(body.topic, topics.telemetry)
    assert.deepEqual(
      body.points.map((p) => p.value),
      Array.from({ length: 20 }, (_, i) => i),
    )
    assert.equal(body.points[3]?.timestamp, t0 + 3)
    assert.equal(body.truncated, true)
    assert.equal(body.reason, 'limit')
  })

  it('says truncated with the reason when the scan budget runs out', async () => {
    // Both tags share a partition only by chance; the budget (40 records) is below the 60 written anyway.
    const res = await get(`history/${TAG}?from=${t0 - 60_000}&source=kafka`)
    const body = (await res.json()) as {
      truncated: boolean
      reason?: string
      scanned: number
      detail?: string
    }
    if (body.scanned >= 40) {
      assert.equal(body.truncated, true)
      assert.equal(body.reason, 'scan-records')
      assert.match(body.detail ?? '', /history\.scanMaxRecords/)
    } else {
      assert.equal(body.truncated, false, 'a partition of its own: every record read within the budget')
    }
  })

  it('streams NDJSON ending with a summary line, and CSV with the summary in headers', async () => {
    const nd = await get(`history/${TAG}?from=${t0 - 60_000}&source=kafka&limit=5`, 'application/x-ndjson')
    assert.match(nd.headers.get('content-type') ?? '', /application\/x-ndjson/)
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines.length, 6)
    assert.deepEqual(
      lines.slice(0, 5).map((l) => l.value),
      [0, 1, 2, 3, 4],
    )
    assert.equal((lines[5]?.summary as { count: number }).count, 5)

    const csv = await get(`history/${TAG}?from=${t0 - 60_000}&source=kafka&limit=3`, 'text/csv')
    assert.equal(csv.headers.get('uns-history-truncated'), 'true')
    assert.equal(csv.headers.get('uns-history-reason'), 'limit')
    const rows = (await csv.text()).trim().split('\r\n')
    assert.equal(rows[0], 'timestamp,time,value,quality,datatype,receivedAt')
    assert.equal(rows.length, 4)
    assert.equal(rows[1]?.split(',')[2], '0')
  })

  it('answers the latest minutes from memory without touching Kafka', async () => {
    const res = await get(`history/${TAG}?from=${t0}&limit=1000`)
    const body = (await res.json()) as { source: string; points: { value: number }[]; truncated: boolean }
    assert.equal(body.source, 'memory')
    assert.deepEqual(
      body.points.map((p) => p.value),
      Array.from({ length: 30 }, (_, i) => i),
    )
    assert.equal(body.truncated, false)
  })

  it('refuses a bad range with a coded 400', async () => {
    const res = await get(`history/${TAG}?from=yesterday-ish`)
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as { code: string }).code, 'UNS_ERR_HISTORY_RANGE_INVALID')
  })

  it('lists the refused message in the dead letters, from memory and from the dead-letter topic', async () => {
    const body = await eventually(async () => {
      const b = (await (await get('dlq?limit=10')).json()) as {
        items: { topic: string; code: string; payload: string; from: string }[]
      }
      return b.items.some((d) => d.from === 'kafka') ? b : undefined
    }, 15000)
    const refused = body.items.filter((d) => d.topic === TAG)
    assert.equal(refused.length, 1, 'memory and Kafka are merged: one entry per refusal')
    assert.equal(refused[0]?.code, 'UNS_ERR_NAMESPACE_PAYLOAD_INVALID')
    assert.equal(refused[0]?.payload, 'not json {')
  })
})
