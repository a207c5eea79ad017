// Which edge nodes, devices and metrics the simulator runs. `acme` starts with the two edge nodes the
// demo namespace maps (namespace/90-sparkplug.yaml), so their values land on ACME paths; `generic`
// (and every edge beyond the acme ones) is N edges x M devices x K metrics under one group.
import { DataType, type MetricSpec } from './sim-metric.js'

export interface DeviceSpec {
  readonly name: string
  readonly metrics: readonly MetricSpec[]
}

export interface EdgeSpec {
  readonly group: string
  readonly edge: string
  /** Edge node metrics besides bdSeq and Node Control/Rebirth. */
  readonly nodeMetrics: readonly MetricSpec[]
  readonly devices: readonly DeviceSpec[]
  /** UNS paths this edge's devices feed (the JSON publishers leave them alone). */
  readonly unsPrefixes: readonly string[]
}

export type LayoutName = 'acme' | 'generic'

export interface LayoutOptions {
  readonly layout: LayoutName
  readonly edges: number
  readonly devices: number
  readonly metrics: number
  /** Group of the generic edges. */
  readonly group: string
}

const STATES = ['idle', 'running', 'fault', 'maintenance'] as const
const D = DataType

const filler: MetricSpec[] = [
  { name: 'Temperature', datatype: D.Double, engUnit: 'degC', min: 0, max: 95 },
  { name: 'Pressure', datatype: D.Float, engUnit: 'bar', min: 0, max: 10 },
  { name: 'FillRate', datatype: D.Double, engUnit: 'bottles/min', min: 0, max: 1200 },
  { name: 'Motor/Speed', datatype: D.Double, engUnit: 'rpm', min: 0, max: 3000 },
  { name: 'motor/current', datatype: D.Float, engUnit: 'A', min: 0, max: 100 },
  { name: 'motor/running', datatype: D.Boolean },
  { name: 'speedSetpoint', datatype: D.Double, engUnit: 'bottles/min', min: 0, max: 1200, writable: true },
  { name: 'state', datatype: D.String, choices: STATES },
  { name: 'bottleCount', datatype: D.Int64, counter: true },
]
const press: MetricSpec[] = [
  { name: 'pressure', datatype: D.Double, engUnit: 'bar', min: 0, max: 350 },
  { name: 'force', datatype: D.Double, engUnit: 'kN', min: 0, max: 2500 },
  { name: 'oilTemperature', datatype: D.Float, engUnit: 'degC', min: -10, max: 90 },
  { name: 'strokes', datatype: D.Int64, counter: true },
  { name: 'forceSetpoint', datatype: D.Double, engUnit: 'kN', min: 0, max: 2500, writable: true },
  { name: 'state', datatype: D.String, choices: STATES },
]
const conveyor: MetricSpec[] = [
  { name: 'speed', datatype: D.Double, engUnit: 'm/min', min: 0, max: 120 },
  { name: 'speedSetpoint', datatype: D.Double, engUnit: 'm/min', min: 0, max: 120, writable: true },
  { name: 'jam', datatype: D.Boolean },
  { name: 'motor/speed', datatype: D.Double, engUnit: 'rpm', min: 0, max: 3000 },
  { name: 'motor/current', datatype: D.Float, engUnit: 'A', min: 0, max: 100 },
]

const ACME_EDGES: readonly EdgeSpec[] = [
  {
    group: 'acme-berlin',
    edge: 'plc-packaging-1',
    nodeMetrics: [],
    devices: [{ name: 'filler-1', metrics: filler }],
    unsPrefixes: ['acme/berlin/packaging/line-1/filler/'],
  },
  {
    group: 'acme-austin',
    edge: 'plc-assembly-1',
    nodeMetrics: [],
    devices: [
      { name: 'press-1', metrics: press },
      { name: 'press-2', metrics: press },
      { name: 'conveyor', metrics: conveyor },
    ],
    unsPrefixes: ['press-1', 'press-2', 'conveyor'].map((d) => `acme/austin/assembly/line-1/${d}/`),
  },
]

// Every generic metric changes on every step (counters count, analogs walk), so a DDATA carries all K.
const GENERIC_TYPES = [D.Double, D.Float, D.Double, D.Int32, D.Double, D.UInt32, D.Double, D.Float] as const

/** K metrics: `counter` (Int64, +1 per DDATA: lets readers check order and loss), analogs, a setpoint. */
export function genericMetrics(count: number): MetricSpec[] {
  const metrics: MetricSpec[] = []
  for (let k = 0; k < count; k++) {
    if (k === 0) metrics.push({ name: 'counter', datatype: D.Int64, counter: true })
    else if (k === count - 1 && count >= 3)
      metrics.push({ name: 'setpoint', datatype: D.Double, engUnit: '%', min: 0, max: 100, writable: true })
    else {
      const datatype = GENERIC_TYPES[(k - 1) % GENERIC_TYPES.length] ?? D.Double
      const integer = datatype === D.Int32 || datatype === D.UInt32
      metrics.push({
        name: `m${k}`,
        datatype,
        engUnit: integer ? 'count' : 'unit',
        min: 0,
        max: 1000,
        ...(integer ? { counter: true } : {}),
      })
    }
  }
  return metrics
}

export function buildLayout(o: LayoutOptions): EdgeSpec[] {
  const edges: EdgeSpec[] = o.layout === 'acme' ? ACME_EDGES.slice(0, o.edges) : []
  const metrics = genericMetrics(o.metrics)
  for (let i = edges.length; i < o.edges; i++) {
    const devices = Array.from({ length: o.devices }, (_, j) => ({ name: `device-${j + 1}`, metrics }))
    edges.push({ group: o.group, edge: `edge-${i + 1}`, nodeMetrics: [], devices, unsPrefixes: [] })
  }
  return edges
}
