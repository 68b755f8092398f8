// The worker builds its /_gateway API on the first such request (src/index.ts); loading it here
// keeps vite's transform of that module graph out of the first test's timeout.
import "../../src/gateway/app";
