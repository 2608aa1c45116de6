/** The background jobs live in the service layer; re-exported for the server's callers. */
export { type JobReport, type Jobs, runJobs, startJobs } from '../service/jobs.js'
