import { vitestPreset } from '@coro/vitest-config';

export default vitestPreset();
