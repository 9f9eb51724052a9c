// Runs before every test file (vite.config.ts, test.setupFiles).
import { configure } from '@testing-library/dom';
import { testTimeScale } from './timeScale';

// findBy* and waitFor give up after 1 s by default, which a render on a busy machine can take; this is a
// bound for a page that never shows what is awaited, scaled like every test wait.
configure({ asyncUtilTimeout: 5_000 * testTimeScale() });
