// DataSet (datatype 16) → `{ columns, types, rows }`. Column types are REQUIRED
// [tck-id-payloads-dataset-parameter-type-req] and as many as the columns
// [tck-id-payloads-dataset-types-num, tck-id-payloads-dataset-column-num-headers]; each element is
// decoded with its column's datatype (the npm decoder throws on several column types, issue 4).
import type { UnsValue } from '../uns/index.js'
import { toDatatypeName } from './datatypes.js'
import { decodeValue } from './values.js'
import type { WireDataSet } from './wire.js'
import { WireError } from './wire-error.js'

export interface DataSetValue {
  readonly columns: string[]
  readonly types: string[]
  readonly rows: UnsValue[][]
}

export function decodeDataSet(ds: WireDataSet): DataSetValue {
  const columns = ds.columns ?? []
  const typeIds = ds.types ?? []
  if (typeIds.length !== columns.length) {
    throw new WireError(`DataSet has ${columns.length} columns but ${typeIds.length} types`)
  }
  const rows = (ds.rows ?? []).map((row, r) => {
    const elements = row.elements ?? []
    if (elements.length !== columns.length) {
      throw new WireError(`DataSet row ${r} has ${elements.length} elements, expected ${columns.length}`)
    }
    return elements.map((e, c) => decodeValue(e, typeIds[c] ?? 0))
  })
  return { columns: [...columns], types: typeIds.map(toDatatypeName), rows }
}
