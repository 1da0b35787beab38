// tcpdoctor tune: the arithmetic, the plan and its rendering.
export * from "./arith.js";
export {
  planTuning,
  type Recommendation,
  type TuneInput,
  type TuneProfile,
  type TuningPlan,
  tuneProfile,
} from "./plan.js";
export { renderTuning } from "./render.js";
