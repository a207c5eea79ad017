export {
  createHistory,
  type History,
  type HistoryConfig,
  type HistoryDeps,
  type HistoryPoint,
  type HistoryQuery,
  type HistorySummary,
  type TruncatedReason,
} from './history.js'
export {
  createDeadLetters,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetters,
  type DeadLettersConfig,
} from './dead-letters.js'
