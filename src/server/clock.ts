/** The clock moved to the service layer; re-exported for the server's callers. */
export { type Clock, manualClock, systemClock } from '../service/clock.js'
