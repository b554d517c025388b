import { tsupPreset } from '@coro/tsup-config';

// TODO(#12): keeps its @internal members in the published types until the step protocol's
// members that other packages reach (Handle.callback, Handle.run, Awaiter, AwaitingTask,
// the future-state constants) are documented API; then this goes back to `tsupPreset()`
// and the package leaves `keepsInternal` in tooling/package-check/check-packages.mjs.
export default tsupPreset({ dts: { compilerOptions: { paths: {}, stripInternal: false } } });
