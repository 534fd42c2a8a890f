// The duration notation of timelines and error messages lives in the bottom layer (src/core), so
// validation errors there use it too; re-exported for the pattern directories that import it here.
export { ceilSeconds, formatDuration, formatMillis } from '../core/duration-format';
