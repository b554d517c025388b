import { tsupPreset } from '@coro/tsup-config';

export default tsupPreset();
